"""crmtui.screens."""
