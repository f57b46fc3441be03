"""The Copper CRM Developer API v1 simulator (people, webhooks); see :mod:`.people` for the wire rules."""

from crmtui.sandbox.copper.people import (
    BASE_PATH,
    PERSON_KEYS,
    SORT_FIELDS,
    WEBHOOK_EVENTS,
    WEBHOOK_TYPES,
    ApiError,
    CopperSim,
    Notify,
    email_key,
    error_body,
    http_notify,
    join_name,
    split_name,
)

__all__ = [
    "BASE_PATH",
    "PERSON_KEYS",
    "SORT_FIELDS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_TYPES",
    "ApiError",
    "CopperSim",
    "Notify",
    "email_key",
    "error_body",
    "http_notify",
    "join_name",
    "split_name",
]
