"""NumPy helpers of the DMX fader: curve shapes, 16-bit values and checked slot arrays."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cuebridge.core.curves import Curve
from cuebridge.protocols.sacn import MAX_SLOTS

Levels = NDArray[np.float64]
Frame = NDArray[np.uint8]
Slots = NDArray[np.intp]
# Same steepness as cuebridge.core.curves; a test pins the two implementations together.
_EXP_BASE: Final = 1024.0


def curve_fractions(curve: Curve, progress: ArrayLike) -> Levels:
    """Vectorised `core.curves.curve_fraction`: eased fractions for progresses (clamped to 0-1)."""
    p = np.clip(np.asarray(progress, dtype=np.float64), 0.0, 1.0)
    if curve is Curve.LINEAR:
        return p
    if curve is Curve.S_CURVE:
        return 0.5 - 0.5 * np.cos(math.pi * p)
    if curve is Curve.EXPONENTIAL:
        return (np.power(_EXP_BASE, p) - 1.0) / (_EXP_BASE - 1.0)
    return 1.0 - (np.power(_EXP_BASE, 1.0 - p) - 1.0) / (_EXP_BASE - 1.0)


def split16(values: ArrayLike) -> tuple[Levels, Levels]:
    """Coarse and fine slot values (0-255) of 16-bit values (0-65535, rounded)."""
    whole = np.rint(np.clip(np.asarray(values, dtype=np.float64), 0.0, 65535.0))
    return np.floor(whole / 256.0), np.mod(whole, 256.0)


def wide_values(levels: ArrayLike) -> Levels:
    """16-bit values of 0-255 levels, `floor(level * 257 + 0.5)` as `core.dmx_patch.split16`."""
    return np.floor(np.asarray(levels, dtype=np.float64) * 257.0 + 0.5)


def checked_slots(slots: ArrayLike) -> Slots:
    """`slots` as a 1-D array of 0-based slot indexes; ValueError otherwise."""
    index = np.asarray(slots)
    if index.ndim != 1 or not (index.size == 0 or np.issubdtype(index.dtype, np.integer)):
        raise ValueError(f"slots must be a 1-D integer array, got {index.dtype} {index.shape}")
    if index.size and (index.min() < 0 or index.max() >= MAX_SLOTS):
        raise ValueError(f"slots must be 0-{MAX_SLOTS - 1} (0-based)")
    return index.astype(np.intp, copy=False)


def checked_levels(slots: ArrayLike, values: ArrayLike) -> tuple[Slots, Levels]:
    """Slots and their 0-255 levels, checked against each other; ValueError otherwise."""
    index = checked_slots(slots)
    target = np.asarray(values, dtype=np.float64)
    if target.shape != index.shape:
        raise ValueError(f"{index.size} slots but values of shape {target.shape}")
    if not np.all((target >= 0.0) & (target <= 255.0)):  # also rejects NaN
        raise ValueError("DMX values must be within 0-255")
    return index, target


def checked_fine(index: Slots, fine: ArrayLike | None) -> Slots | None:
    """The fine slot of each slot in `index` (-1 for none), checked; None when all are 8-bit."""
    if fine is None:
        return None
    pairs = np.asarray(fine)
    if pairs.shape != index.shape or not (
        pairs.size == 0 or np.issubdtype(pairs.dtype, np.integer)
    ):
        raise ValueError(f"fine must be an integer array shaped like the slots, got {pairs.shape}")
    if pairs.size and (pairs.min() < -1 or pairs.max() >= MAX_SLOTS):
        raise ValueError(f"fine slots must be 0-{MAX_SLOTS - 1}, or -1 for 8-bit slots")
    used = np.concatenate([index, pairs[pairs >= 0]])
    if np.unique(used).size != used.size:
        raise ValueError("each slot may appear once, as a slot or as a fine slot")
    return pairs.astype(np.intp, copy=False)
