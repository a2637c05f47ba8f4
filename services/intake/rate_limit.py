"""Rate limiting of wrong receipt codes: exponential lock-out per client address, and globally.

A receipt code has 80 bits of randomness, so guessing is hopeless anyway; the limiter makes it
also slow and visible. Per address: `free_failures` wrong codes are free, each further one locks
the address out for base * 2^(n-1) seconds (capped). Globally: more than `global_failures` wrong
codes within `global_window` locks every code check for `global_lockout` (a distributed guess
from many addresses). A right code does not clear an address's record: otherwise a client with one
valid code could interleave it with guesses and never be locked out. State is in memory per instance (docs/case-file.md says why that is
acceptable); the clock comes in, so tests drive it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class _AddressRecord:
    failures: int = 0
    locked_until: datetime | None = None
    last_failure: datetime | None = None


@dataclass
class ReceiptCodeLimiter:
    free_failures: int = 5
    base_lockout: timedelta = timedelta(seconds=2)
    max_lockout: timedelta = timedelta(hours=1)
    # An address with no wrong code for this long starts afresh.
    forget_after: timedelta = timedelta(hours=24)
    global_failures: int = 200
    global_window: timedelta = timedelta(minutes=1)
    global_lockout: timedelta = timedelta(minutes=1)
    max_addresses: int = 100_000
    _addresses: dict[str, _AddressRecord] = field(default_factory=dict)
    _recent: deque[datetime] = field(default_factory=deque)
    _global_locked_until: datetime | None = None

    def retry_after(self, address: str, now: datetime) -> float | None:
        """Seconds until `address` may try again, or None when it may try now."""
        waits = []
        if self._global_locked_until is not None and now < self._global_locked_until:
            waits.append((self._global_locked_until - now).total_seconds())
        record = self._addresses.get(address)
        if record is not None and record.locked_until is not None and now < record.locked_until:
            waits.append((record.locked_until - now).total_seconds())
        return max(waits) if waits else None

    def failed(self, address: str, now: datetime) -> None:
        record = self._addresses.get(address)
        if record is None or (
            record.last_failure is not None and now - record.last_failure > self.forget_after
        ):
            if len(self._addresses) >= self.max_addresses:
                self._forget_oldest()
            record = self._addresses[address] = _AddressRecord()
        record.failures += 1
        record.last_failure = now
        excess = record.failures - self.free_failures
        if excess > 0:
            lockout = min(self.base_lockout * (2 ** min(excess - 1, 30)), self.max_lockout)
            record.locked_until = now + lockout
        self._recent.append(now)
        while self._recent and now - self._recent[0] > self.global_window:
            self._recent.popleft()
        if len(self._recent) > self.global_failures:
            self._global_locked_until = now + self.global_lockout
            self._recent.clear()

    def _forget_oldest(self) -> None:
        oldest = min(self._addresses, key=lambda a: self._addresses[a].last_failure or datetime.min)
        del self._addresses[oldest]
