"""``python -m crmtui``."""

from __future__ import annotations

import sys

from crmtui.cli.entry import main

sys.exit(main())
