"""crmtui: operator console for Copper CRM <-> Mailchimp sync, ERP ETL and email scenarios.

The packages are the layers (``docs/architecture.md``): ``cli`` (entry point, headless runner, one
module per sub-command), ``app`` + ``screens`` + ``widgets`` (the Textual console), ``endpoints``
(the webhook server), ``engine`` (the rules), ``connectors`` (one per remote service), ``store``
(the only SQL), ``records`` (canonical shapes); ``sandbox`` holds the simulators and ``i18n`` the
one catalogue. The modules at this root are the ones every layer shares.
"""

from __future__ import annotations

__version__ = "0.1.0"
