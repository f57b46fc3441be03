"""crmtui: operator console for Copper CRM <-> Mailchimp sync, ERP ETL and email scenarios."""

from __future__ import annotations

__version__ = "0.1.0"
