"""``python -m crmtui``."""

from __future__ import annotations

import sys

from crmtui.cli import main

sys.exit(main())
