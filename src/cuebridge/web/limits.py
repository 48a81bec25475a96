"""Per-client command rate limits (token buckets) and rate-limited logging of rejections."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per client: `rate` events a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, client: str) -> bool:
        """Take one token from the client's bucket; False when it is empty."""
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def forget(self, client: str) -> None:
        """Drop a departed client's bucket."""
        self._buckets.pop(client, None)

    def prune(self) -> None:
        """Drop buckets that have refilled completely (idle clients, finished HTTP callers)."""
        now = self._clock()
        full = [
            client
            for client, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst
        ]
        for client in full:
            del self._buckets[client]


class RejectionLog:
    """Logs rejected requests; a flood from one client becomes one line a second plus a count.

    Tokens are never logged: callers pass who (role and address) and what, not credentials.
    """

    def __init__(self, clock: Callable[[], float], interval: float = 1.0) -> None:
        self._clock = clock
        self._interval = interval
        self._last: dict[tuple[str, str], float] = {}
        self._suppressed: dict[tuple[str, str], int] = {}
        self.count = 0

    def reject(self, client: str, code: str, what: str, why: str) -> None:
        """Record one rejection of `what` from `client` with its `code` and reason."""
        self.count += 1
        key = (client, code)
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._last[key] = now
        more = self._suppressed.pop(key, 0)
        suffix = f" (+{more} similar suppressed)" if more else ""
        logger.warning("rejected %s from %s: %s (%s)%s", what, client, code, why, suffix)
        if len(self._last) > 10_000:
            self._last.clear()
