"""The one email identity of crmtui: every layer compares addresses through :func:`email_key`.

Sync (Copper and Mailchimp sides), scenario audiences, suppressions, ETL customers' emails,
inbound events and erasure all call this function, so "the same address" means exactly one thing.

The key is Unicode's caseless identity of the text (UAX #15 and Unicode §3.13 "caseless matching"):
compatibility forms folded (NFKC: full-width ``ｊｅａｎ`` is ``jean``, a ligature is its letters),
composed (NFC: an NFD-typed ``é`` is the precomposed one), case-folded (``casefold``, stronger than
``lower``: ``ß`` is ``ss``), and trimmed of surrounding white space and invisible marks (BOM,
zero-width space). It is idempotent, so a stored key normalised again stays the same.

Mailchimp's own ``subscriber_hash`` is another thing (MD5 of the address *it holds*, lower-cased):
the sync addresses an existing member by the ``id`` Mailchimp returned, never by recomputing it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["email_key"]

# Surrounding characters that are never part of an address someone typed: white space (what
# ``str.isspace`` calls space, as ``str.strip`` does), the BOM and zero-width characters a
# copy/paste brings along.
_EDGES = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")


def email_key(email: object) -> str:
    """The identity of an address: NFKC, case-folded, NFC, trimmed. ``""`` for nothing.

    Args:
        email: the address as received (anything; ``None`` and non-strings give ``""``
            unless they are strings).

    Returns:
        The key. Not a validity check: ``"not an email"`` gives ``"not an email"``.
    """
    if not isinstance(email, str) or not email:
        return ""
    text = email
    # NFKC(casefold(NFKC(x))) is stable for all but a handful of code points; loop to the fixed point
    # so the key is idempotent for every input (bounded: each pass can only fold further).
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        folded = _EDGES.sub("", folded)
        if folded == text:
            break
        text = folded
    return text
