"""Fade curves and fade sampling: every curve maps 0 -> 0 and 1 -> 1 and never goes back."""

from __future__ import annotations

import math
from enum import Enum


class Curve(Enum):
    """Shape of a fade between its start and target values."""

    LINEAR = "linear"
    S_CURVE = "s-curve"
    EXPONENTIAL = "exponential"
    LOGARITHMIC = "logarithmic"


# Steepness of the exponential/log curves: 2**10 gives a 60 dB-like range, the usual
# choice for a fade-in on a linear-gain control.
_EXP_BASE = 1024.0


def curve_fraction(curve: Curve, progress: float) -> float:
    """Return the eased fraction in [0, 1] for a progress in [0, 1] (clamped)."""
    if progress <= 0.0:
        return 0.0
    if progress >= 1.0:
        return 1.0
    if curve is Curve.LINEAR:
        return progress
    if curve is Curve.S_CURVE:
        return 0.5 - 0.5 * math.cos(math.pi * progress)
    if curve is Curve.EXPONENTIAL:
        return float((_EXP_BASE**progress - 1.0) / (_EXP_BASE - 1.0))
    return 1.0 - float((_EXP_BASE ** (1.0 - progress) - 1.0) / (_EXP_BASE - 1.0))


def fade_value(start: float, target: float, curve: Curve, progress: float) -> float:
    """Value of a fade at `progress`; exactly `target` once progress reaches 1."""
    if progress >= 1.0:
        return target
    if progress <= 0.0:
        return start
    value = start + (target - start) * curve_fraction(curve, progress)
    # Rounding must never overshoot the target or undershoot the start.
    low, high = (start, target) if start <= target else (target, start)
    return min(max(value, low), high)


def fade_progress(begin: float, duration: float, at: float) -> float:
    """Progress in [0, 1] of a fade that begins at `begin` and lasts `duration` seconds."""
    if duration <= 0.0 or at >= begin + duration:
        return 1.0
    if at <= begin:
        return 0.0
    return (at - begin) / duration
