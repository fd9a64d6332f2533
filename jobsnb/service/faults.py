"""Load and fault simulation: AWS's quota buckets and random service failures."""

from __future__ import annotations

import random
import threading
import time

__all__ = ["FaultInjector", "TokenBucket"]


class TokenBucket:
    """``rate`` requests per second, with a burst of one second's worth, in real time.

    Examples
    --------
    >>> bucket = TokenBucket(2)
    >>> [bucket.take() for _ in range(3)]
    [True, True, False]
    """

    def __init__(self, rate: float) -> None:
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take a token if one is left: True admits the request, False throttles it.

        Tokens come back at ``rate`` per second of monotonic time, up to ``capacity``.
        """
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class FaultInjector:
    """Decides, with a seeded generator, which requests fail with a 503."""

    def __init__(self, rate: float, seed: int | None = None) -> None:
        self.rate = rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def strikes(self) -> bool:
        """Whether this request fails: True with probability ``rate``, never when it is 0."""
        if self.rate <= 0.0:
            return False
        with self._lock:
            return self._random.random() < self.rate
