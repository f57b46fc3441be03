"""The rate limits the simulators enforce, in one place: each simulator answers a refusal its own way.

- :class:`RollingWindow`: at most ``limit`` requests in any rolling ``window`` seconds (Copper: 180
  per 60 s, WIRE.md §1.2).
- :class:`ConcurrencyLimit`: at most ``limit`` requests in flight at once (Mailchimp: 10
  simultaneous connections, WIRE.md 2.6).
- :class:`TokenBucket`: a sustained rate with a burst of one second's worth (SES ``MaxSendRate``).

The limits themselves are passed on every call rather than stored, because tests and benchmarks
change a simulator's ``rate_limit``/``max_connections``/``max_send_rate`` while it runs. Scripted
faults (``429`` on demand, holds, resets...) are not here: they are :mod:`crmtui.sandbox.control`'s.
"""

from __future__ import annotations

from collections import deque


class RollingWindow:
    """A rolling-window limiter over the times of the admitted requests.

    Attributes:
        refused: how many requests :meth:`admit` refused since this window was made.
    """

    def __init__(self) -> None:
        self._admitted: deque[float] = deque()
        self.refused = 0

    def admit(self, now: float, limit: int, window: float) -> bool:
        """Admit a request at ``now`` if fewer than ``limit`` were admitted in the last ``window`` s.

        Refused requests do not use up the window (our choice), so a client that backs off recovers
        exactly ``window`` seconds after its oldest call.
        """
        admitted = self._admitted
        while admitted and admitted[0] <= now - window:
            admitted.popleft()
        if len(admitted) >= limit:
            self.refused += 1
            return False
        admitted.append(now)
        return True


class ConcurrencyLimit:
    """Counts the requests in flight; :meth:`enter` refuses one past the limit.

    Attributes:
        in_flight: requests admitted and not yet left.
        peak: the highest :attr:`in_flight` since :meth:`reset_stats`.
        refused: requests refused since :meth:`reset_stats`.
    """

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.refused = 0

    def enter(self, limit: int) -> bool:
        """Admit one more request unless ``limit`` are in flight already; pair with :meth:`leave`."""
        if self.in_flight >= limit:
            self.refused += 1
            return False
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        return True

    def leave(self) -> None:
        """One admitted request has finished."""
        self.in_flight -= 1

    def reset_stats(self) -> None:
        """Restart :attr:`peak` (from the requests in flight now) and :attr:`refused`."""
        self.peak = self.in_flight
        self.refused = 0


class TokenBucket:
    """A bucket refilled at ``rate`` tokens per second, holding at most one second's worth.

    Not thread-safe: the caller holds its own lock.
    """

    def __init__(self, rate: float, now: float) -> None:
        self._tokens = float(rate)
        self._stamp = now

    def take(self, now: float, rate: float) -> bool:
        """Refill for the time since the last call, then take one token if there is one."""
        self._tokens = min(float(rate), self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
