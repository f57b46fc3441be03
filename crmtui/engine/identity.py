"""Identity and tag rules of the sync: normalized emails and the one deletion-tag normaliser.

Every comparison of emails and special tags in crmtui goes through this module, so "the same
address" and "the deletion tag" mean exactly one thing everywhere.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from crmtui.records.emails import email_key

INACTIVE_TAG = "📥 INACTIF"
RESUBSCRIBE_TAG = "Réinscription requise"
DELETION_TAG = "🗑️ À SUPPRIMER"

_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Emoji presentation selectors, zero-width joiners/spaces and the BOM: invisible, typed or not.
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b-\u200d\u2060\ufeff]")


def normalize_email(email: str | None) -> str:
    """The identity of a contact (:func:`crmtui.records.emails.email_key`). ``""`` for nothing."""
    return email_key(email)


def is_valid_email(email: str) -> bool:
    """Syntax check good enough to refuse what Mailchimp would refuse (no DNS)."""
    if not _EMAIL.match(email) or ".." in email:
        return False
    local, _, domain = email.rpartition("@")
    return (
        bool(local) and not local.startswith(".") and not local.endswith(".") and not domain.startswith(".")
    )


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id for an address we create: MD5 of its key (the key is lower-case)."""
    return hashlib.md5(normalize_email(email).encode()).hexdigest()  # noqa: S324 - Mailchimp's scheme


def tag_key(tag: str) -> str:
    """A comparison key for tags: NFKD without accents or invisible characters, upper-case, single spaces.

    ``🗑️ À SUPPRIMER``, ``🗑 a  supprimer`` and an NFD-typed ``À`` all give the same key.
    """
    text = unicodedata.normalize("NFKD", tag)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip().upper()


# The two emoji the documents put in front of their tags; either may stand anywhere or be absent.
_WASTEBASKET = "\U0001f5d1"  # 🗑
_INBOX_TRAY = "\U0001f4e5"  # 📥


def _word_key(tag: str, emoji: str) -> str:
    """``tag_key`` without ``emoji`` (wherever it stands) and without any space: the bare words."""
    return tag_key(tag).replace(emoji, "").replace(" ", "")


def is_deletion_tag(tag: str) -> bool:
    """Whether ``tag`` is any spelling of ``🗑️ À SUPPRIMER``.

    Case, accents, extra or missing spaces, the emoji before, after, between the words or absent,
    with or without its variation selector, NFC or NFD: all are recognised (``À supprimer 🗑️``,
    ``a  supprimer``, ``🗑 A SUPPRIMER``).
    """
    return _word_key(tag, _WASTEBASKET) == "ASUPPRIMER"


def is_inactive_tag(tag: str) -> bool:
    """Whether ``tag`` is ``📥 INACTIF`` (any spacing/case/accents, the emoji anywhere or absent)."""
    return _word_key(tag, _INBOX_TRAY) == "INACTIF"


def find_deletion_tag(tags: list[str] | tuple[str, ...]) -> str | None:
    """The deletion tag exactly as found among ``tags``, or None."""
    return next((tag for tag in tags if is_deletion_tag(tag)), None)
