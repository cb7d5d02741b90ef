"""A sliding window per client address on the public verification routes, against guessing codes in bulk."""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from app.auth import client_address
from app.config import get_settings
from app.errors import TooManyRequests

WINDOW_SECONDS = 60


class SlidingWindow:
    """At most `limit` hits per address in the last `window` seconds, in this process."""

    def __init__(self, limit: int, window: int = WINDOW_SECONDS, max_addresses: int = 100_000) -> None:
        self.limit, self.window, self.max_addresses = limit, window, max_addresses
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, address: str, now: float | None = None) -> int:
        """Count a hit; 0 when allowed, else the seconds until the next one would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) > self.max_addresses:  # never grows without bound under a spray of addresses
                self._hits.clear()
            hits = self._hits.setdefault(address, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, int(hits[0] + self.window - now) + 1)
            hits.append(now)
            return 0


def limit_verification(request: Request) -> None:
    """A dependency: 429 with Retry-After when the address looked up too many codes in the window."""
    window: SlidingWindow | None = getattr(request.app.state, "verify_window", None)
    if window is None:
        window = request.app.state.verify_window = SlidingWindow(get_settings().verify_max_per_minute)
    wait = window.hit(client_address(request))
    if wait:
        raise TooManyRequests(
            f"too many verification look-ups from this address; try again in {wait} seconds", retry_after=wait
        )
