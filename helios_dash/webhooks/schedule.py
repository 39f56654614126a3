"""When a failed delivery is tried again: exponential backoff with full jitter, and when an endpoint is disabled."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

# Base delays before attempts 2..8 (seconds): 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h. With full
# jitter each wait is uniform in [0, base], so the eight attempts spread over about a day on average
# (at most 44.6 h), and receivers that failed together are not all retried in the same second.
DEFAULT_DELAYS = (60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0, 86400.0)
# Deliveries in a row that used every attempt before the endpoint is disabled. Not "N failed
# attempts in a row": a ten-minute outage under a burst of events fails dozens of attempts, and
# would disable an endpoint that is back before the first retries are due.
DISABLE_AFTER_DEAD = 3


@dataclass(frozen=True)
class Schedule:
    """Retry delays (their count + 1 is the number of attempts), jitter source, and the disabling rule."""

    delays: tuple[float, ...] = DEFAULT_DELAYS
    disable_after_dead: int = DISABLE_AFTER_DEAD
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: uniform in [0, base] (full jitter)."""
        return self.rng.uniform(0.0, self.delays[attempts - 1])
