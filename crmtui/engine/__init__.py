"""crmtui.engine."""
