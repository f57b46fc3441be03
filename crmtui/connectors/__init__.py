"""crmtui.connectors."""
