"""Vectorised DMX channel fades: per-universe 512-slot buffers sampled into uint8 frames."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cuebridge.core.curves import Curve
from cuebridge.drivers.dmx_arrays import (
    Frame,
    Levels,
    Slots,
    checked_fine,
    checked_levels,
    checked_slots,
    curve_fractions,
    wide_values,
)
from cuebridge.drivers.dmx_arrays import split16 as split16
from cuebridge.protocols.sacn import MAX_SLOTS, MAX_UNIVERSE, MIN_UNIVERSE

# What to sample: (row, slots) for some channels of one universe, or rows (a slice or an index
# array) for whole universes.
_Key = tuple[int, Slots] | slice | Slots

_CURVES: Final = tuple(Curve)  # a channel's curve is stored as its index in this tuple
_LINEAR: Final = _CURVES.index(Curve.LINEAR)


class _Table:
    """The fade of every channel, one row of 512 per universe; a level is a zero-length fade."""

    __slots__ = (
        "begin",
        "busy_until",
        "coarse_of",
        "curve",
        "curve_counts",
        "delta",
        "dirty",
        "end",
        "end_time",
        "fine_of",
        "high",
        "low",
        "out",
        "out_view",
        "pair_counts",
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
        self.fine_of = np.full(shape, -1, dtype=np.int16)  # a 16-bit coarse slot's fine slot
        self.coarse_of = np.full(shape, -1, dtype=np.int16)  # the reverse
        self.pair_counts = np.zeros(capacity, dtype=np.int64)
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

    16-bit channels (pan, tilt): `set` and `fade` take `fine`, the fine slot of each slot (-1
    for an 8-bit one). The pair's level lives in the coarse slot as a 0-255 float whose fraction
    is the fine part; each frame its 16-bit value `wide_values(level)` is split into the two
    slots, so a fade moves smoothly at 16-bit resolution. Setting either slot of a pair as an
    8-bit channel ends the pairing; a new pair starts from the 16-bit value its slots show.
    """

    def __init__(self) -> None:
        self._rows: dict[int, int] = {}
        self._universe_of_row: list[int] = []
        self._table = _Table(4)

    @property
    def universes(self) -> tuple[int, ...]:
        """The universes in use, in order of first use."""
        return tuple(self._rows)

    def set(
        self,
        universe: int,
        slots: ArrayLike,
        values: ArrayLike,
        at: float,
        *,
        fine: ArrayLike | None = None,
    ) -> None:
        """Jump `slots` to `values` at time `at` (until then they keep their value at `at`)."""
        index, target = checked_levels(slots, values)
        fine_index = checked_fine(index, fine)
        row = self._row(universe)
        start = self._start(row, index, fine_index, at)
        self._pair(row, index, fine_index, at)
        self._assign(row, index, start, target, _LINEAR, at, 0.0)

    def fade(
        self,
        universe: int,
        slots: ArrayLike,
        end_values: ArrayLike,
        curve: Curve,
        begin: float,
        duration: float,
        *,
        fine: ArrayLike | None = None,
        now: float | None = None,
    ) -> None:
        """Fade `slots` from their values at `begin` to `end_values` over `duration` seconds.

        `now` is when the fade arrives, if that is after `begin` (a resumed fade, or one that
        came late): the channels then go on from their values at `now`, along the curve's
        remaining part, and still land at `begin + duration`, with no jump.
        """
        if not (math.isfinite(duration) and duration >= 0.0):
            raise ValueError(f"fade duration must be finite and >= 0, got {duration}")
        index, target = checked_levels(slots, end_values)
        fine_index = checked_fine(index, fine)
        row = self._row(universe)
        joined = begin if now is None else max(begin, now)
        shown = self._start(row, index, fine_index, joined)
        start = shown
        if joined > begin:
            done = float(curve_fractions(curve, (joined - begin) / duration)) if duration else 1.0
            start = (shown - done * target) / (1.0 - done) if done < 1.0 else target
        self._pair(row, index, fine_index, joined)
        self._assign(row, index, start, target, _CURVES.index(curve), begin, duration, shown)

    def hold(self, universe: int, slots: ArrayLike, at: float) -> None:
        """Freeze `slots` at the values they have at time `at`."""
        index = checked_slots(slots)
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
        frames = self._frames(key, self._sample(key, at, curves))
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

    def sample(self, universe: int, at: float) -> Frame:
        """The universe's frame at `at`, as a new array; unlike `render` it changes nothing."""
        row = self._rows.get(universe)
        if row is None:
            return np.zeros(MAX_SLOTS, np.uint8)
        rows = np.array([row])
        curves = np.flatnonzero(self._table.curve_counts[row]).tolist()
        frame: Frame = self._frames(rows, self._sample(rows, at, curves))[0]
        return frame

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

    def _frames(self, key: _Key, values: Levels) -> NDArray[np.uint8]:
        """Whole-universe frames from levels: rounded, and 16-bit pairs split (rows x 512)."""
        frames = np.rint(values).astype(np.uint8)
        table = self._table
        if table.pair_counts[key].any():
            fine_of = table.fine_of[key]
            rows, coarse = np.nonzero(fine_of >= 0)
            wide = wide_values(values[rows, coarse]).astype(np.int64)
            frames[rows, coarse] = wide >> 8
            frames[rows, fine_of[rows, coarse]] = wide & 0xFF
        return frames

    def _start(self, row: int, index: Slots, fine: Slots | None, at: float) -> Levels:
        """Levels at `at` that channels about to be assigned start from.

        A slot that becomes the coarse half of a new pair starts from the 16-bit value its two
        slots show, so the output does not jump when two 8-bit slots become one 16-bit channel.
        """
        start = self._sample_slots(row, index, at)
        if fine is not None:
            new = (fine >= 0) & (self._table.fine_of[row, index] != fine)
            if new.any():
                shown = np.rint(self._sample_slots(row, fine[new], at))
                start[new] = (np.rint(start[new]) * 256.0 + shown) / 257.0
        return start

    def _pair(self, row: int, index: Slots, fine: Slots | None, at: float) -> None:
        """End every pairing that involves these slots, then pair `index` with `fine`.

        A fine slot left behind by its coarse slot holds the value it shows at `at`.
        """
        table = self._table
        paired = np.zeros(index.shape, dtype=np.bool_) if fine is None else fine >= 0
        if not paired.any() and not table.pair_counts[row]:
            return
        touched = index if fine is None else np.concatenate([index, fine[paired]])
        old_fine, old_coarse = table.fine_of[row, touched], table.coarse_of[row, touched]
        left = ~np.isin(old_fine, touched) & (old_fine >= 0)
        if left.any():
            shown = wide_values(self._sample_slots(row, touched[left], at)) % 256.0
            self._assign(row, old_fine[left].astype(np.intp), shown, shown, _LINEAR, at, 0.0)
        table.coarse_of[row, old_fine[old_fine >= 0]] = -1
        table.fine_of[row, old_coarse[old_coarse >= 0]] = -1
        table.fine_of[row, touched] = -1
        table.coarse_of[row, touched] = -1
        if fine is not None:
            table.fine_of[row, index[paired]] = fine[paired]
            table.coarse_of[row, fine[paired]] = index[paired]
        table.pair_counts[row] = np.count_nonzero(table.fine_of[row] >= 0)

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
        shown: Levels | None = None,
    ) -> None:
        """Store the fades; samples stay between `shown` (default `start`) and `end`."""
        table, key = self._table, (row, index)
        table.start[key], table.end[key], table.delta[key] = start, end, end - start
        anchor = start if shown is None else shown
        table.low[key], table.high[key] = np.minimum(anchor, end), np.maximum(anchor, end)
        table.begin[key], table.end_time[key] = begin, begin + span
        table.span[key] = span if span > 0.0 else 1.0
        table.curve[key] = curve
        table.curve_counts[row] = np.bincount(table.curve[row], minlength=len(_CURVES))
        table.busy_until[row] = table.end_time[row].max()
        table.dirty[row] = True
