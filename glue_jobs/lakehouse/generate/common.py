"""Shared pieces of the generator: volumes, the day calendar, seeded randomness and time formats.

Everything the generator writes is a function of ``(seed, scale, base_date, day)``. Day 0 is the
initial load for ``base_date``; day ``k`` is the batch for ``base_date + k`` and holds the activity
of the day before it. Times are integer milliseconds since the Unix epoch, in UTC.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
HISTORY_DAYS = 180  # the initial load holds this many days of orders before the base date
_EPOCH_DATE = date(1970, 1, 1)


def scaled(volume: float, scale: float, minimum: int = 1) -> int:
    """A volume at SF1 multiplied by ``scale``, rounded, at least ``minimum``."""
    return max(minimum, round(volume * scale))


@dataclass(frozen=True)
class Volumes:
    """Record counts of the initial load and of every daily increment."""

    contacts: int
    orders: int
    products: int
    events: int
    new_contacts_per_day: int
    updated_contacts_per_day: int
    new_orders_per_day: int
    new_products_per_day: int

    @classmethod
    def at_scale(cls, scale: float) -> Volumes:
        return cls(
            contacts=scaled(25_000, scale),
            orders=scaled(100_000, scale),
            products=scaled(2_000, scale, minimum=8),  # every vendor sends at least one product
            events=scaled(150_000, scale),
            new_contacts_per_day=scaled(250, scale),
            updated_contacts_per_day=scaled(500, scale),
            new_orders_per_day=scaled(1_500, scale),
            new_products_per_day=scaled(10, scale),
        )


@dataclass(frozen=True)
class Plan:
    """The generator's parameters and the calendar of its batches."""

    seed: int
    scale: float
    base_date: date
    volumes: Volumes = field(init=False)
    base_ms: int = field(init=False)  # the base date's midnight: the initial load's cutoff

    def __post_init__(self) -> None:
        object.__setattr__(self, "volumes", Volumes.at_scale(self.scale))
        object.__setattr__(self, "base_ms", date_ms(self.base_date))

    def rng(self, *parts: object) -> random.Random:
        """A generator seeded from a string, e.g. ``rng("order", 17)``: stable across runs."""
        return random.Random(":".join([str(self.seed), *map(str, parts)]))

    def batch_date(self, day: int) -> date:
        return self.base_date + timedelta(days=day)

    def cutoff_ms(self, day: int) -> int:
        """Batch ``day`` holds activity strictly before this instant (its batch date 00:00 UTC)."""
        return self.base_ms + day * DAY_MS

    def activity_start_ms(self, day: int) -> int:
        """Batch ``day`` holds activity from this instant on (new entities at least)."""
        if day == 0:
            return self.cutoff_ms(0) - HISTORY_DAYS * DAY_MS
        return self.cutoff_ms(day) - DAY_MS

    def batch_of_ms(self, ms: int) -> int:
        """The batch whose window contains the instant ``ms`` (0 for anything before the base)."""
        return max(0, (ms - self.base_ms) // DAY_MS + 1)


def date_ms(d: date) -> int:
    """Midnight UTC of ``d`` in epoch milliseconds."""
    return (d - _EPOCH_DATE).days * DAY_MS


def ms_date(ms: int) -> date:
    return _EPOCH_DATE + timedelta(days=ms // DAY_MS)


_DAY_TEXT: dict[int, str] = {}  # days since the epoch -> "YYYY-MM-DD"
_CLOCK: list[str] = []  # second of the day -> "HH:MM:SS"


def _timestamp(ms: int, separator: str) -> str:
    if not _CLOCK:
        _CLOCK.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    days, ms_of_day = divmod(ms, DAY_MS)
    day = _DAY_TEXT.get(days)
    if day is None:
        day = _DAY_TEXT[days] = (_EPOCH_DATE + timedelta(days=days)).isoformat()
    second, millis = divmod(ms_of_day, 1000)
    return f"{day}{separator}{_CLOCK[second]}.{millis:03d}"


def iso_ms(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``: ``2026-05-03T10:15:30.123Z``."""
    return _timestamp(ms, "T") + "Z"


def snowflake_ts(ms: int) -> str:
    """Snowflake's ``YYYY-MM-DD HH24:MI:SS.FF3``: ``2026-05-03 10:15:30.123``."""
    return _timestamp(ms, " ")


_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID4_SET = (0x4 << 76) | (0x2 << 62)


def uuid4_from(bits: int) -> str:
    """A version-4 (random) UUID string built from 128 random bits."""
    h = f"{(bits & _UUID4_CLEAR) | _UUID4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def slot_ms(start_ms: int, end_ms: int, count: int, index: int, fraction: float) -> int:
    """The instant of entity ``index`` of ``count`` spread evenly over ``[start, end)``.

    Each entity gets its own slot and lies at ``fraction`` (0 <= f < 1) into it, so instants
    increase with the index.
    """
    width = (end_ms - start_ms) / count
    return min(end_ms - 1, start_ms + int((index + fraction) * width))


def cumulative(weights: list[float]) -> list[float]:
    """Running totals of ``weights``, as ``pick`` takes them."""
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def pick(items: list, cum_weights: list[float], r: float):
    """The item a uniform draw ``r`` (0 <= r < 1) falls on, by cumulative weights."""
    return items[bisect.bisect(cum_weights, r * cum_weights[-1])]


def format_cents(cents: int) -> str:
    """``1250`` -> ``'12.50'``: two decimals, no float rounding involved."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
