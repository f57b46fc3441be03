"""The key map, read from the bindings themselves so help, the palette and the README cannot drift.

- :func:`screen_actions` lists a screen's own actions (what the palette offers beside navigation).
- :func:`keymap_sections` lists every key of the app: the global ones, then each screen's.
- :func:`keymap_markdown` renders that as the README's key map (a test compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

# How Textual names keys, and how an operator reads them.
_KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "space": "Space",
    "escape": "Esc",
    "enter": "Enter",
    "ctrl+p": "Ctrl+P",
    "ctrl+q": "Ctrl+Q",
    "ctrl+s": "Ctrl+S",
    "f1": "F1",
    "f5": "F5",
}


def key_label(key: str) -> str:
    """``slash,question_mark`` → ``/ ?``: the keys of a binding as printed on a keyboard."""
    return " ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in key.split(","))


def bindings_of(node: type[DOMNode] | DOMNode) -> list[Binding]:
    """The class's own ``BINDINGS`` as :class:`Binding` objects (tuples expanded)."""
    out: list[Binding] = []
    cls = node if isinstance(node, type) else type(node)
    # The class's own keys only: Textual's inherited ones (Tab focus, copy) are not ours to list.
    raw: Iterable[BindingType] = vars(cls).get("BINDINGS", [])
    for b in raw:
        out.append(b if isinstance(b, Binding) else Binding(*b))
    return out


def screen_actions(screen: DOMNode) -> list[Binding]:
    """A screen's own actions that have a description (Escape/back excluded)."""
    return [
        b for b in bindings_of(screen) if b.description and b.action not in ("back_home", "clear", "leave")
    ]


def rows_of(bindings: Iterable[Binding]) -> tuple[tuple[str, str], ...]:
    """``(key as printed, description)`` for every described binding."""
    return tuple((key_label(b.key), b.description) for b in bindings if b.description)


@dataclass(frozen=True)
class Section:
    """One block of the key map: a title and (key, description) rows."""

    title: str
    rows: tuple[tuple[str, str], ...]


def keymap_sections(
    app_bindings: Iterable[Binding], modes: Mapping[str, type[DOMNode]], titles: Mapping[str, str]
) -> list[Section]:
    """Every key: the app's global ones, then one section per screen (``modes``), in order."""
    sections = [Section(titles["global"], rows_of(app_bindings))]
    for name, screen in modes.items():
        rows = rows_of(bindings_of(screen))
        if rows:
            sections.append(Section(titles.get(name, name), rows))
    return sections


def keymap_markdown(sections: Iterable[Section]) -> str:
    """The key map as Markdown tables (the README's block)."""
    lines: list[str] = []
    for section in sections:
        lines += [f"**{section.title}**", "", "| key | action |", "|---|---|"]
        lines += [f"| `{k}` | {d} |" for k, d in section.rows]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
