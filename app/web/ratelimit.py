"""A limit per client address on the public verification routes, against guessing codes in bulk.

With LMS_REDIS_URL the hits are counted in Redis, so that every app process shares one limit per address (a
fixed window a minute long); without it, each process keeps a sliding window of its own. If Redis cannot be
reached, the process falls back to its own window rather than refuse or fail verifications.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Protocol

import redis
from fastapi import FastAPI, Request

from app.config import get_settings
from app.errors import TooManyRequests
from app.web.deps import client_address

WINDOW_SECONDS = 60
log = logging.getLogger(__name__)


class Window(Protocol):
    def hit(self, address: str, now: float | None = None) -> int: ...


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


class SharedWindow:
    """At most `limit` hits per address in each window (a fixed one, aligned on the clock), counted in Redis."""

    def __init__(self, url: str, limit: int, window: int = WINDOW_SECONDS, prefix: str = "lms:verify:") -> None:
        self.limit, self.window, self.prefix = limit, window, prefix
        self.redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.fallback = SlidingWindow(limit, window)

    def hit(self, address: str, now: float | None = None) -> int:
        """Count a hit; 0 when allowed, else the seconds until the window ends."""
        now = time.time() if now is None else now
        slot = int(now // self.window)
        key = f"{self.prefix}{address}:{slot}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, self.window * 2)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("verification rate limit: Redis unavailable (%s); counting in this process", exc)
            return self.fallback.hit(address)
        if count > self.limit:
            return max(1, int((slot + 1) * self.window - now) + 1)
        return 0


def verification_window(app: FastAPI) -> Window:
    """The app's verification limit, made on first use: shared through Redis when LMS_REDIS_URL is set."""
    window: Window | None = getattr(app.state, "verify_window", None)
    if window is None:
        settings = get_settings()
        limit = settings.verify_max_per_minute
        window = SharedWindow(settings.redis_url, limit) if settings.redis_url else SlidingWindow(limit)
        app.state.verify_window = window
    return window


def limit_verification(request: Request) -> None:
    """A dependency: 429 with Retry-After when the address looked up too many codes in the window."""
    wait = verification_window(request.app).hit(client_address(request))
    if wait:
        raise TooManyRequests(
            f"too many verification look-ups from this address; try again in {wait} seconds", retry_after=wait
        )
