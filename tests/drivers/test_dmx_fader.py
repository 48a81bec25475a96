"""DmxFader: exact values at explicit times, ends on target, latest change wins per channel."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.core.curves import Curve, curve_fraction, fade_progress, fade_value
from cuebridge.drivers.dmx_fader import DmxFader, curve_fractions, split16

ALL = np.arange(512)


def test_vectorised_curves_equal_the_scalar_curves() -> None:
    progress = np.concatenate([np.linspace(-0.5, 1.5, 2001), np.random.default_rng(7).random(5000)])
    for curve in Curve:
        scalar = np.array([curve_fraction(curve, float(p)) for p in progress])
        # numpy's pow may differ from libm's in the last bit; cos and the clamping do not
        np.testing.assert_allclose(curve_fractions(curve, progress), scalar, rtol=0, atol=4e-16)
        assert curve_fractions(curve, [0.0, 1.0]).tolist() == [0.0, 1.0]


def test_set_renders_exact_bytes_and_only_changed_universes() -> None:
    fader = DmxFader()
    fader.set(1, np.array([0, 1, 511]), np.array([255.0, 127.4, 0.6]), at=0.0)
    fader.set(2, np.array([9]), np.array([10.0]), at=0.0)
    frames = fader.render(0.0)
    assert sorted(frames) == [1, 2]
    assert frames[1][[0, 1, 2, 511]].tolist() == [255, 127, 0, 1]
    assert frames[2][9] == 10
    assert fader.render(0.1) == {}  # nothing changed
    fader.set(2, np.array([9]), np.array([10.0]), at=0.2)  # same value: touched, not changed
    assert fader.render(0.2) == {}
    fader.set(2, np.array([9]), np.array([11.0]), at=0.3)
    assert list(fader.render(0.3)) == [2]


def test_first_render_of_a_new_universe_counts_as_a_change() -> None:
    fader = DmxFader()
    fader.hold(3, np.array([], dtype=np.int64), at=0.0)
    frames = fader.render(0.0)
    assert list(frames) == [3]
    assert not frames[3].any()
    assert not frames[3].flags.writeable


@pytest.mark.parametrize("curve", list(Curve))
def test_fade_samples_equal_the_scalar_fade_and_end_exactly(curve: Curve) -> None:
    fader = DmxFader()
    slots = np.array([0, 7, 100])
    fader.set(1, slots, np.array([0.0, 200.0, 12.5]), at=0.0)
    end = np.array([255.0, 3.3, 12.5])
    fader.fade(1, slots, end, curve, begin=1.0, duration=2.0)
    for at in (0.5, 1.0, 1.25, 1.5, 2.0, 2.999, 3.0, 4.0):
        progress = fade_progress(1.0, 2.0, at)
        expected = [
            fade_value(s, e, curve, progress) for s, e in zip((0, 200, 12.5), end, strict=True)
        ]
        assert fader.levels(1, at)[slots].tolist() == pytest.approx(expected, rel=0, abs=1e-12)
        frame = fader.render(at).get(1, fader.frame(1))
        assert frame[slots].tolist() == np.rint(expected).astype(int).tolist()
    assert fader.levels(1)[slots].tolist() == end.tolist()  # exactly, at the last render


def test_final_frame_equals_end_values_even_between_frames() -> None:
    fader = DmxFader()
    end = np.random.default_rng(3).integers(0, 256, 512).astype(np.float64)
    fader.fade(1, ALL, end, Curve.S_CURVE, begin=0.0, duration=0.7)
    for frame_index in range(40):  # 40 fps frames straddle the end at 0.7 s
        fader.render(frame_index / 40)
    assert fader.frame(1).tolist() == end.astype(np.uint8).tolist()
    assert fader.levels(1).tolist() == end.tolist()
    assert fader.active_fades() == {}


def test_latest_change_takes_precedence_per_channel_only() -> None:
    fader = DmxFader()
    fader.fade(1, np.array([0, 1, 2]), np.array([100.0, 100.0, 100.0]), Curve.LINEAR, 0.0, 10.0)
    fader.fade(1, np.array([1]), np.array([0.0]), Curve.LINEAR, begin=5.0, duration=5.0)  # 50 -> 0
    fader.set(1, np.array([2]), np.array([255.0]), at=5.0)
    fader.render(5.0)
    assert fader.active_fades() == {1: 2}
    assert fader.levels(1, 7.5)[:3].tolist() == [75.0, 25.0, 255.0]
    assert fader.render(10.0)[1][:3].tolist() == [100, 0, 255]


def test_hold_freezes_where_the_fade_is() -> None:
    fader = DmxFader()
    fader.fade(1, ALL, np.full(512, 200.0), Curve.LINEAR, begin=0.0, duration=2.0)
    fader.hold(1, np.arange(256), at=0.5)
    frame = fader.render(1.0)[1]
    assert frame[:256].tolist() == [50] * 256
    assert frame[256:].tolist() == [100] * 256
    assert fader.active_fades() == {1: 256}


def test_a_fade_starts_from_the_value_at_its_begin() -> None:
    fader = DmxFader()
    fader.fade(1, np.array([0]), np.array([100.0]), Curve.LINEAR, begin=0.0, duration=4.0)
    fader.fade(1, np.array([0]), np.array([0.0]), Curve.LINEAR, begin=2.0, duration=1.0)
    assert fader.levels(1, 2.0)[0] == 50.0
    assert fader.levels(1, 2.5)[0] == 25.0
    assert fader.levels(1, 3.0)[0] == 0.0


def test_set_in_the_future_keeps_the_value_until_then() -> None:
    fader = DmxFader()
    fader.set(1, np.array([5]), np.array([80.0]), at=0.0)
    fader.set(1, np.array([5]), np.array([20.0]), at=1.0)
    assert fader.render(0.5)[1][5] == 80
    assert fader.render(1.0)[1][5] == 20


def test_mixed_curves_in_one_universe() -> None:
    fader = DmxFader()
    for slot, curve in enumerate(Curve):
        fader.fade(1, np.array([slot]), np.array([255.0]), curve, begin=0.0, duration=1.0)
    sampled = fader.levels(1, 0.3)[: len(Curve)]
    rendered = fader.render(0.3)[1][: len(Curve)]
    expected = [255.0 * curve_fraction(curve, 0.3) for curve in Curve]
    assert sampled.tolist() == pytest.approx(expected, rel=0, abs=1e-12)
    assert rendered.tolist() == np.rint(expected).astype(int).tolist()


def test_many_universes_grow_the_table() -> None:
    fader = DmxFader()
    for universe in range(1, 40):
        fader.fade(universe, ALL, np.full(512, float(universe)), Curve.LINEAR, 0.0, 1.0)
    frames = fader.render(1.0)
    assert len(frames) == 39
    assert all(frame.tolist() == [u] * 512 for u, frame in frames.items())
    assert fader.universes == tuple(range(1, 40))


def test_sixteen_bit_pair_driven_by_the_caller_per_frame() -> None:
    fader = DmxFader()
    coarse_fine = np.array([10, 11])
    for frame_index in range(5):
        at = frame_index / 4
        value = 65535.0 * curve_fraction(Curve.LINEAR, at)
        coarse, fine = split16([value])
        fader.set(1, coarse_fine, np.concatenate([coarse, fine]), at)
        frame = fader.render(at)[1]
        assert int(frame[10]) * 256 + int(frame[11]) == round(value)
    assert fader.frame(1)[10:12].tolist() == [255, 255]


@pytest.mark.parametrize(
    ("slots", "values"),
    [([512], [0.0]), ([-1], [0.0]), ([0], [256.0]), ([0], [float("nan")]), ([0, 1], [1.0])],
)
def test_bad_input_is_rejected(slots: list[int], values: list[float]) -> None:
    fader = DmxFader()
    with pytest.raises(ValueError):  # noqa: PT011 - the cases above name the problem
        fader.set(1, np.array(slots), np.array(values), at=0.0)
    assert fader.universes == ()


def test_bad_universe_and_duration_are_rejected() -> None:
    fader = DmxFader()
    with pytest.raises(ValueError, match="universe"):
        fader.set(0, np.array([0]), np.array([1.0]), at=0.0)
    with pytest.raises(ValueError, match="duration"):
        fader.fade(1, np.array([0]), np.array([1.0]), Curve.LINEAR, 0.0, -1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 255), min_size=1, max_size=8),
    st.lists(st.floats(0, 255), min_size=1, max_size=8),
    st.sampled_from(Curve),
    st.floats(0.01, 100.0),
    st.lists(st.floats(0.0, 1.2), min_size=1, max_size=10),
)
def test_fades_stay_within_their_range_and_land_exactly(
    starts: list[float], ends: list[float], curve: Curve, duration: float, points: list[float]
) -> None:
    count = min(len(starts), len(ends))
    slots = np.arange(count)
    start, end = np.array(starts[:count]), np.array(ends[:count])
    fader = DmxFader()
    fader.set(1, slots, start, at=0.0)
    fader.fade(1, slots, end, curve, begin=1.0, duration=duration)
    low, high = np.minimum(start, end), np.maximum(start, end)
    for point in sorted(points):
        levels = fader.levels(1, 1.0 + point * duration)[:count]
        assert np.all((low <= levels) & (levels <= high))
    assert fader.levels(1, 1.0 + duration)[:count].tolist() == end.tolist()
