"""crmtui.store."""
