"""The base of the console's mode screens: a visit does not restyle a screen whose styles are current.

Textual's ``App.switch_mode`` resumes the screen it shows with ``ScreenResume()``, whose
``refresh_styles`` re-applies the stylesheet to every widget of the screen, which also clears the
widgets' render caches, so the whole screen is rendered again: about half of a visit's CPU once
the screen is built (issue #15). Textual itself resumes an opaque screen under a popped one without
it (``App.pop_screen``: ``refresh_styles=previous_screen.styles.background.a < 0``). A mode screen
has nothing to restyle when the app's CSS has not changed since it was styled
(``_css_update_count``; a theme change moves it, and ``switch_mode`` then refreshes the CSS itself)
and the app marks no suspended screen with a class (``SUSPENDED_SCREEN_CLASS``).
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.screen import Screen


class ModeScreen(Screen[None]):
    """A screen of ``CrmApp.MODES``."""

    def post_message(self, message: Message) -> bool:
        """A resume keeps the screen's styles when they are current (see the module)."""
        if (
            isinstance(message, events.ScreenResume)
            and message.refresh_styles
            and not self.app.SUSPENDED_SCREEN_CLASS
            and self._css_update_count == self.app._css_update_count
        ):
            message.refresh_styles = False
        return super().post_message(message)
