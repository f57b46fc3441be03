"""Textual's footer, rebuilt only when what it shows changes, and fitted to the terminal's width.

Textual's :class:`~textual.widgets.Footer` recomposes (unmounts and mounts one widget per key, each
restyled) every time the screen's bindings are refreshed: on every focus change and every
``refresh_bindings()``, which the screens call when the highlighted row changes what a key may do.
That cost ~5 ms per key widget on this machine, so 60–400 ms per cursor move on a screen with a
dozen keys (issue #15, "under 200 ms per key"). This one compares what it would show (each key, its
label, whether it is enabled, its tooltip, the width) with what it shows, and recomposes only when
they differ, and then updates the key widgets it has in place (labels, enabled state, tooltip),
mounting or removing only the difference in their number.

At 80 columns a busy screen's keys do not fit one line (Scenarios has twelve), and Textual's footer
then cuts them at the border. This one measures each key with Rich's cell widths and, while the line
is too long, leaves out first the console-wide keys every screen repeats (quit, run a cycle), then the
screen's last keys; help (``F1``/``?``) always stays, and help and the palette (``Ctrl+P``) list every
key, shown or not. The palette key is shown once, on the right (Textual showed it twice).

What comes first may depend on the focus: a screen with a ``footer_first()`` method returns the
actions to show first (and leave out last) for what has the focus now, e.g. Scenarios puts the ledger
keys ``m``/``M`` first while its unknown-sends table has the focus (issue #15).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

DROPPED_FIRST = ("quit", "run_cycle")
"""Console-wide actions left out first when a screen's keys need the room, in this order."""

KEPT = ("help", "cancel_cycle")
"""Console-wide actions never left out (help lists whatever the footer could not show)."""

FIRST_HOOK = "footer_first"
"""The screen method that names the actions shown first for the current focus (optional)."""


def footer_first(screen: Screen[Any]) -> tuple[str, ...]:
    """The actions ``screen`` wants first in the footer now (none when it has no such method)."""
    hook = getattr(screen, FIRST_HOOK, None)
    return tuple(hook()) if callable(hook) else ()


def key_width(key_display: str, description: str) -> int:
    """Cells a footer key takes (Textual's non-compact style: `` key `` then ``description ``)."""
    return cell_len(key_display) + 2 + (cell_len(description) + 1 if description else 0)


class Footer(TextualFooter):
    """The key footer; same name, so the app's CSS for ``Footer`` applies unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def _width(self) -> int:
        return self.size.width or self.screen.size.width or self.app.size.width

    def _signature(self, screen: Screen[Any]) -> tuple[object, ...]:
        """What the footer would show for ``screen``'s active bindings now, at this width."""
        return (self._width(), footer_first(screen)) + tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Change only when the keys, labels, enabled states or width differ from what is shown.

        Once composed, the key widgets are updated in place (:meth:`_update_keys`): a focus change
        usually changes a few labels, and mounting a dozen new widgets costs their styling.
        """
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            signature = self._signature(screen)
            if signature == self._shown and self._bindings_ready:
                return
            self._shown = signature
            if self._bindings_ready and self.children:
                self.call_after_refresh(self._update_keys)
                return
        super().bindings_changed(screen)

    def _update_keys(self) -> None:
        """The shown keys made what :meth:`fitted` says, reusing the mounted widgets."""
        if not self.is_attached:
            return
        keys, palette = self.fitted(self._width())
        mounted = [c for c in self.children if isinstance(c, FooterKey)]
        if len(mounted) != len(self.children):
            self.call_after_refresh(self.recompose)  # something else in there: start afresh
            return
        palette_widget = next((c for c in mounted if c.has_class("-command-palette")), None)
        plain = [c for c in mounted if c is not palette_widget]
        for widget, (binding, enabled, tooltip) in zip(plain, keys, strict=False):
            self._set(widget, binding, enabled, tooltip)
        if len(plain) > len(keys):
            for widget in plain[len(keys) :]:
                widget.remove()
        elif len(keys) > len(plain):
            new = list(self._key_widgets(keys[len(plain) :]))
            if palette_widget is not None:
                self.mount(*new, before=palette_widget)
            else:
                self.mount(*new)
        if palette is None and palette_widget is not None:
            palette_widget.remove()
        elif palette is not None:
            binding, enabled, _ = palette
            tooltip = binding.tooltip or binding.description
            if palette_widget is None:
                self.call_after_refresh(self.recompose)
            else:
                self._set(palette_widget, binding, enabled, tooltip)

    def _set(self, widget: FooterKey, binding: Binding, enabled: bool, tooltip: str) -> None:
        """``widget`` shows ``binding`` (repainted only when something differs)."""
        display = self.app.get_key_display(binding)
        now = (widget.key, widget.key_display, widget.description, widget.action, widget._disabled)
        wanted = (binding.key, display, binding.description, binding.action, not enabled)
        if now != wanted:
            widget.key, widget.key_display, widget.description, widget.action = wanted[:4]
            widget._disabled = not enabled
            widget.set_class(not enabled, "-disabled")
            widget.refresh(layout=True)
        if (widget.tooltip or "") != (tooltip or ""):
            widget.tooltip = tooltip or None

    def on_resize(self, event: events.Resize) -> None:
        """A new width may fit more (or fewer) keys."""
        if self._bindings_ready:
            self.bindings_changed(self.screen)

    def fitted(self, width: int) -> tuple[list[tuple[Binding, bool, str]], tuple[Binding, bool, str] | None]:
        """The keys shown in ``width`` cells (in order) and the palette key shown on the right."""
        palette: tuple[Binding, bool, str] | None = None
        keys: list[tuple[bool, Binding, bool, str]] = []
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.key == self.app.COMMAND_PALETTE_BINDING:
                if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
                    palette = (binding, enabled, tooltip)
                continue
            if not binding.show or binding.action in actions:
                continue  # Textual shows one key per action too
            actions.add(binding.action)
            keys.append((_node is self.app, binding, enabled, tooltip))
        first = footer_first(self.screen)
        if first:  # the focus's own keys first (a stable sort keeps the rest in the screen's order)
            keys.sort(key=lambda k: first.index(k[1].action) if k[1].action in first else len(first))

        def width_of(binding: Binding) -> int:
            return key_width(self.app.get_key_display(binding), binding.description)

        room = width - (width_of(palette[0]) + 2 if palette else 0)  # its padding and left border
        total = sum(width_of(b) for _, b, _, _ in keys)
        for action in DROPPED_FIRST:
            if total <= room:
                break
            for item in [k for k in keys if k[0] and k[1].action == action]:
                keys.remove(item)
                total -= width_of(item[1])
        while total > room:
            screen_keys = [k for k in keys if not (k[0] and k[1].action in KEPT)]
            if not screen_keys:
                break
            keys.remove(screen_keys[-1])
            total -= width_of(screen_keys[-1][1])
        return [(b, enabled, tooltip) for _, b, enabled, tooltip in keys], palette

    def compose(self) -> ComposeResult:
        """One widget per key that fits, then the palette key docked right."""
        if not self._bindings_ready:
            return
        keys, palette = self.fitted(self._width())
        yield from self._key_widgets(keys)
        if palette is not None:
            binding, enabled, tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    def _key_widgets(self, keys: list[tuple[Binding, bool, str]]) -> Iterator[FooterKey]:
        for binding, enabled, tooltip in keys:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=TextualFooter.compact)
