"""crmtui.widgets."""
