"""Untrusted text made safe to show: names, tags and error messages come from remote systems.

Shared by every layer, so it lives at the package root.

A contact name can hold ANSI escape sequences (which would drive the operator's terminal) or Rich
markup (which Textual would interpret, ``[@click=app.quit]`` included). Everything coming from a
remote system is shown through :func:`printable` (logs, reports, plain output) or
:func:`literal` (Textual/Rich widgets), never through markup.
"""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text

# C0 controls except tab/newline, DEL, C1 controls, the bidi overrides that can reorder a line, and
# U+2028/U+2029 (LINE/PARAGRAPH SEPARATOR): ``str.splitlines``, JavaScript, many editors and log
# viewers break a line there, so a name holding one could forge a second line in a report or a CSV.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, *, single_line: bool = True) -> str:
    """Return ``value`` as text with control characters shown as ``\\x1b``-style escapes.

    Args:
        value: anything; ``None`` becomes "".
        single_line: also escape newlines and tabs (table cells, log fields).
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _CONTROL.sub(_escape, text)
    if single_line:
        text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", " ")
    return text


# VARIATION SELECTOR-16 asks for the emoji presentation of the character before it. Rich counts
# "🗑️" (U+1F5D1 U+FE0F) as 2 cells, while terminals and tmux that follow wcwidth draw it in 1 (or
# draw 2 and count 1): either way every later cell on the line is off by one, leaving stale
# characters and text past the border at each partial redraw. Without the selector both sides use
# the East Asian Width tables and agree (🗑 text-style, 1 cell; 📥, emoji by default, 2 cells).
# Only what the console shows drops it; reports, logs and the data keep the exact text.
_VS16 = "\ufe0f"


def literal(value: object, style: str = "") -> Text:
    """A Rich ``Text`` that shows ``value`` literally: no markup, no control codes, measured right."""
    return Text(printable(value).replace(_VS16, ""), style=style, no_wrap=False)


def literal_cell(value: object, style: str = "") -> Text:
    """:func:`literal` on one line, cut with an ellipsis: a table cell (the whole value is in a detail pane)."""
    text = literal(value, style)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def literal_block(value: object, style: str = "") -> Text:
    """:func:`literal` for several lines (an email's text part): line breaks kept, tabs as spaces."""
    raw = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = printable(raw, single_line=False)
    return Text(text.replace("\t", "    ").replace(_VS16, ""), style=style, no_wrap=False)
