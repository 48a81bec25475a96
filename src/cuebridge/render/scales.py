"""Named value scalings from the units people think in (dB, percent) to wire values."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

X32_FADER_MAX_DB = 10.0
X32_FADER_MIN_DB = -90.0
"""At or below this the X32 fader is at the bottom (float 0.0, shown as -oo)."""

# (lowest dB of the segment, dB offset, dB per unit of fader float) from devices.md 1.4:
# f = (dB + offset) / slope for dB >= lowest, tried from the top segment down.
_X32_SEGMENTS = ((-10.0, 30.0, 40.0), (-30.0, 50.0, 80.0), (-60.0, 70.0, 160.0))


def x32_fader(db: float) -> float:
    """X32/M32 fader float 0.0-1.0 for a level in dB (piecewise linear, devices.md 1.4).

    +10 dB and above -> 1.0, 0 dB -> 0.75, -10 -> 0.5, -30 -> 0.25, -60 -> 0.0625, and
    -90 dB or below -> 0.0. The console quantises faders to 1024 steps, but the exact rounding
    rule is unverified, so the value is deliberately not quantised here: the desk rounds it.
    """
    if math.isnan(db):
        raise ValueError("x32_fader needs a level in dB, got nan")
    if db >= X32_FADER_MAX_DB:
        return 1.0
    if db <= X32_FADER_MIN_DB:
        return 0.0
    for lowest, offset, slope in _X32_SEGMENTS:
        if db >= lowest:
            return (db + offset) / slope
    return (db - X32_FADER_MIN_DB) / 480.0


def percent_to_unit(percent: float) -> float:
    """0-100 % to 0.0-1.0, clamped to that range (a device never gets more than full)."""
    if math.isnan(percent):
        raise ValueError("percent_to_unit needs a percentage, got nan")
    return min(max(percent, 0.0), 100.0) / 100.0


def bool_to_int(value: bool) -> int:
    """True -> 1, False -> 0."""
    if not isinstance(value, bool):
        raise TypeError(f"bool_to_int needs true or false, got {value!r}")
    return 1 if value else 0


@dataclass(frozen=True, slots=True)
class Scale:
    """A named scaling: the function, the parameter types it takes and the type it gives."""

    function: Callable[..., float]
    takes: tuple[str, ...]
    gives: str


SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        "x32_fader": Scale(x32_fader, ("int", "float"), "float"),
        "percent_to_unit": Scale(percent_to_unit, ("int", "float"), "float"),
        "bool_to_int": Scale(bool_to_int, ("bool",), "int"),
    }
)
"""Every scale a profile's `scale:` may name."""

SCALE_NAMES = tuple(SCALES)
