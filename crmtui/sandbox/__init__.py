"""crmtui.sandbox."""
