"""The SQLite store: the only SQL in crmtui."""

from __future__ import annotations

from crmtui.store.db import Store, StoreError

__all__ = ["Store", "StoreError"]
