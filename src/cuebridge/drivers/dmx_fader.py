"""Vectorised DMX channel fades: per-universe 512-slot buffers sampled into uint8 frames."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cuebridge.core.curves import Curve
from cuebridge.protocols.sacn import MAX_SLOTS, MAX_UNIVERSE, MIN_UNIVERSE

Levels = NDArray[np.float64]
Frame = NDArray[np.uint8]
Slots = NDArray[np.intp]
# What to sample: (row, slots) for some channels of one universe, or rows (a slice or an index
# array) for whole universes.
_Key = tuple[int, Slots] | slice | Slots

# Same steepness as cuebridge.core.curves; a test pins the two implementations together.
_EXP_BASE: Final = 1024.0
_CURVES: Final = tuple(Curve)  # a channel's curve is stored as its index in this tuple
_LINEAR: Final = _CURVES.index(Curve.LINEAR)


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


class _Table:
    """The fade of every channel, one row of 512 per universe; a level is a zero-length fade."""

    __slots__ = (
        "begin",
        "busy_until",
        "curve",
        "curve_counts",
        "delta",
        "dirty",
        "end",
        "end_time",
        "high",
        "low",
        "out",
        "out_view",
        "rendered_at",
        "span",
        "start",
    )

    def __init__(self, capacity: int) -> None:
        shape = (capacity, MAX_SLOTS)
        self.start, self.end, self.delta = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        self.low, self.high = np.zeros(shape), np.zeros(shape)
        self.begin, self.end_time = np.zeros(shape), np.zeros(shape)
        self.span = np.ones(shape)  # the duration, or 1.0 for zero-length fades
        self.curve = np.full(shape, _LINEAR, dtype=np.int8)
        self.curve_counts = np.zeros((capacity, len(_CURVES)), dtype=np.int64)
        self.curve_counts[:, _LINEAR] = MAX_SLOTS
        self.out = np.zeros(shape, dtype=np.uint8)
        self.out_view = self.out.view()
        self.out_view.flags.writeable = False
        self.busy_until = np.full(capacity, -math.inf)
        self.rendered_at = np.full(capacity, -math.inf)
        self.dirty = np.ones(capacity, dtype=np.bool_)

    def grown(self) -> _Table:
        """A copy with twice the rows."""
        rows = len(self.dirty)
        bigger = _Table(2 * rows)
        for name in self.__slots__:
            if name != "out_view":
                getattr(bigger, name)[:rows] = getattr(self, name)
        return bigger


class DmxFader:
    """Channel levels and fades for any number of 512-slot universes, rendered to DMX frames.

    Times are the caller's monotonic seconds; slots are 0-based integer arrays; values are 0-255
    floats. `set`, `fade` and `hold` replace whatever the named channels were doing, and only
    those channels. A fade starts from each channel's value at its `begin`, and from its end on
    the channel is exactly its end value. Universes are created (dark) on first use.

    `render` samples every busy universe in one short sequence of array operations over a
    (universes x 512) table: no Python step per channel or per universe.

    16-bit parameters (coarse/fine pairs such as pan/tilt) belong to the patch layer: it computes
    the 16-bit value each frame and `set`s the two adjacent slots to `split16(value)`.
    """

    def __init__(self) -> None:
        self._rows: dict[int, int] = {}
        self._universe_of_row: list[int] = []
        self._table = _Table(4)

    @property
    def universes(self) -> tuple[int, ...]:
        """The universes in use, in order of first use."""
        return tuple(self._rows)

    def set(self, universe: int, slots: ArrayLike, values: ArrayLike, at: float) -> None:
        """Jump `slots` to `values` at time `at` (until then they keep their value at `at`)."""
        index, target = _checked(slots, values)
        row = self._row(universe)
        self._assign(row, index, self._sample_slots(row, index, at), target, _LINEAR, at, 0.0)

    def fade(
        self,
        universe: int,
        slots: ArrayLike,
        end_values: ArrayLike,
        curve: Curve,
        begin: float,
        duration: float,
    ) -> None:
        """Fade `slots` from their values at `begin` to `end_values` over `duration` seconds."""
        if not (math.isfinite(duration) and duration >= 0.0):
            raise ValueError(f"fade duration must be finite and >= 0, got {duration}")
        index, target = _checked(slots, end_values)
        row = self._row(universe)
        start = self._sample_slots(row, index, begin)
        self._assign(row, index, start, target, _CURVES.index(curve), begin, duration)

    def hold(self, universe: int, slots: ArrayLike, at: float) -> None:
        """Freeze `slots` at the values they have at time `at`."""
        index = _checked_slots(slots)
        row = self._row(universe)
        value = self._sample_slots(row, index, at)
        self._assign(row, index, value, value, _LINEAR, at, 0.0)

    def render(self, at: float) -> dict[int, Frame]:
        """Sample every universe at `at`; return the frames of those whose output changed.

        A universe's first render always counts as a change. The frames are read-only views
        of internal buffers that the next render overwrites: copy one (`bytes(frame)`) to keep
        it. Universes whose fades have all landed, untouched since, cost no array work.
        """
        table, used = self._table, len(self._rows)
        busy = table.dirty[:used] | (table.rendered_at[:used] < table.busy_until[:used])
        rows = np.flatnonzero(busy)
        if not rows.size:
            return {}
        key: _Key = slice(0, used) if rows.size == used else rows  # a slice avoids copies
        curves = np.flatnonzero(table.curve_counts[key].any(axis=0)).tolist()
        frames = np.rint(self._sample(key, at, curves)).astype(np.uint8)
        changed = (frames != table.out[key]).any(axis=1) | (table.rendered_at[key] == -math.inf)
        table.out[key] = frames
        table.rendered_at[key] = at
        table.dirty[key] = False
        return {self._universe_of_row[row]: table.out_view[row] for row in rows[changed].tolist()}

    def levels(self, universe: int, at: float | None = None) -> Levels:
        """The universe's float levels at `at`, by default at its last render."""
        row = self._rows.get(universe)
        if row is None:
            return np.zeros(MAX_SLOTS)
        when = float(self._table.rendered_at[row]) if at is None else at
        return self._sample_slots(row, np.arange(MAX_SLOTS), when)

    def frame(self, universe: int) -> Frame:
        """The universe's last rendered frame, read-only (all zeros before its first render)."""
        row = self._rows.get(universe)
        return np.zeros(MAX_SLOTS, np.uint8) if row is None else self._table.out_view[row]

    def active_fades(self) -> dict[int, int]:
        """Per universe, how many channels had a fade still running at the last render."""
        table, used = self._table, len(self._rows)
        end_time = table.end_time[:used]
        running = (end_time > table.rendered_at[:used, np.newaxis]) & (
            end_time > table.begin[:used]
        )
        counts = np.count_nonzero(running, axis=1).tolist()
        return {u: count for u, count in zip(self._universe_of_row, counts, strict=True) if count}

    def _row(self, universe: int) -> int:
        row = self._rows.get(universe)
        if row is None:
            if not MIN_UNIVERSE <= universe <= MAX_UNIVERSE:
                raise ValueError(f"universe must be {MIN_UNIVERSE}-{MAX_UNIVERSE}, got {universe}")
            row = len(self._rows)
            if row == len(self._table.dirty):
                self._table = self._table.grown()
            self._rows[universe] = row
            self._universe_of_row.append(universe)
        return row

    def _sample_slots(self, row: int, index: Slots, at: float) -> Levels:
        curves = np.flatnonzero(np.bincount(self._table.curve[row, index], minlength=len(_CURVES)))
        return self._sample((row, index), at, curves.tolist())

    def _sample(self, key: _Key, at: float, curves: list[int]) -> Levels:
        """Values at `at` of the channels under `key`, whose curves are among `curves`."""
        table = self._table
        progress = (at - table.begin[key]) / table.span[key]
        if len(curves) == 1:
            fraction = curve_fractions(_CURVES[curves[0]], progress)
        else:
            fraction = np.clip(progress, 0.0, 1.0)
            codes = table.curve[key]
            for code in curves:
                if code != _LINEAR:
                    shaped = curve_fractions(_CURVES[code], progress)
                    np.copyto(fraction, shaped, where=codes == code)
        value = table.start[key] + table.delta[key] * fraction
        # rounding must never take a value outside its fade's range
        np.maximum(value, table.low[key], out=value)
        np.minimum(value, table.high[key], out=value)
        np.copyto(value, table.end[key], where=table.end_time[key] <= at)
        return value

    def _assign(
        self,
        row: int,
        index: Slots,
        start: Levels,
        end: Levels,
        curve: int,
        begin: float,
        span: float,
    ) -> None:
        table, key = self._table, (row, index)
        table.start[key], table.end[key], table.delta[key] = start, end, end - start
        table.low[key], table.high[key] = np.minimum(start, end), np.maximum(start, end)
        table.begin[key], table.end_time[key] = begin, begin + span
        table.span[key] = span if span > 0.0 else 1.0
        table.curve[key] = curve
        table.curve_counts[row] = np.bincount(table.curve[row], minlength=len(_CURVES))
        table.busy_until[row] = table.end_time[row].max()
        table.dirty[row] = True


def _checked_slots(slots: ArrayLike) -> Slots:
    index = np.asarray(slots)
    if index.ndim != 1 or not (index.size == 0 or np.issubdtype(index.dtype, np.integer)):
        raise ValueError(f"slots must be a 1-D integer array, got {index.dtype} {index.shape}")
    if index.size and (index.min() < 0 or index.max() >= MAX_SLOTS):
        raise ValueError(f"slots must be 0-{MAX_SLOTS - 1} (0-based)")
    return index.astype(np.intp, copy=False)


def _checked(slots: ArrayLike, values: ArrayLike) -> tuple[Slots, Levels]:
    index = _checked_slots(slots)
    target = np.asarray(values, dtype=np.float64)
    if target.shape != index.shape:
        raise ValueError(f"{index.size} slots but values of shape {target.shape}")
    if not np.all((target >= 0.0) & (target <= 255.0)):  # also rejects NaN
        raise ValueError("DMX values must be within 0-255")
    return index, target
