"""The command line: ``crmtui`` and its sub-commands, one module each.

- :mod:`crmtui.cli.entry` — the entry point (``crmtui``, ``python -m crmtui``): parses the arguments,
  opens the store, starts the console or hands over to a sub-command;
- :mod:`crmtui.cli.headless` — ``crmtui --headless``, the same engine for cron, printing lines;
- :mod:`crmtui.cli.tools` — ``connectors test``, ``sandbox serve``, ``cron install|remove|status``;
- :mod:`crmtui.cli.scenarios` — ``scenarios list|start|stop|status|op|reset…``;
- :mod:`crmtui.cli.erase` — ``erase`` (right to be forgotten);
- :mod:`crmtui.cli.serve` — ``crmtui serve``, which runs :mod:`crmtui.endpoints.server`;
- :mod:`crmtui.cli.web` — ``crmtui web``, the console in a browser (textual-serve).

Nothing here is imported by the layers below (see the import-linter contracts in ``pyproject.toml``).
"""
