"""Textual's footer, rebuilt only when what it shows changes.

Textual's :class:`~textual.widgets.Footer` recomposes (unmounts and mounts one widget per key, each
restyled) every time the screen's bindings are refreshed: on every focus change and every
``refresh_bindings()``, which the screens call when the highlighted row changes what a key may do.
That cost ~5 ms per key widget on this machine, so 60–400 ms per cursor move on a screen with a
dozen keys (issue #15, "under 200 ms per key"). This one compares what it would show (each key, its
label, whether it is enabled, its tooltip) with what it shows, and recomposes only when they differ.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """The key footer; same name, so the app's CSS for ``Footer`` applies unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def _signature(self, screen: Screen[Any]) -> tuple[object, ...]:
        """What the footer would show for ``screen``'s active bindings now."""
        return tuple(
            (binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Recompose only when the keys, labels or enabled states differ from what is shown."""
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            signature = self._signature(screen)
            if signature == self._shown and self._bindings_ready:
                return
            self._shown = signature
        super().bindings_changed(screen)
