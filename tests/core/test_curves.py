"""Fade curves land on their targets and never go back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cuebridge.core.curves import Curve, curve_fraction, fade_progress, fade_value
from cuebridge.core.effects import StartFade

levels = st.floats(min_value=-1000, max_value=1000, allow_nan=False)
progress = st.floats(min_value=0.0, max_value=1.0)


def test_every_curve_maps_ends_to_ends() -> None:
    for curve in Curve:
        assert curve_fraction(curve, 0.0) == 0.0
        assert curve_fraction(curve, 1.0) == 1.0


def test_named_shapes() -> None:
    assert curve_fraction(Curve.LINEAR, 0.25) == 0.25
    assert curve_fraction(Curve.S_CURVE, 0.5) == pytest.approx(0.5)
    assert curve_fraction(Curve.EXPONENTIAL, 0.5) < 0.05
    assert curve_fraction(Curve.LOGARITHMIC, 0.5) > 0.95


@given(st.sampled_from(Curve), levels, levels, progress, progress)
def test_fade_value_is_monotone_and_bounded(
    curve: Curve, start: float, target: float, p1: float, p2: float
) -> None:
    low, high = sorted((p1, p2))
    a, b = fade_value(start, target, curve, low), fade_value(start, target, curve, high)
    lo, hi = sorted((start, target))
    assert lo <= a <= hi
    assert lo <= b <= hi
    if target >= start:
        assert a <= b
    else:
        assert a >= b


@given(
    st.sampled_from(Curve),
    levels,
    levels,
    st.floats(min_value=0, max_value=1e6),
    st.floats(min_value=1e-3, max_value=1e4),
)
def test_a_fade_equals_its_target_exactly_at_its_end(
    curve: Curve, start: float, target: float, begin: float, duration: float
) -> None:
    fade = StartFade(
        device="d",
        action="a",
        params={"level": target},
        start={"level": start},
        end={"level": target},
        curve=curve,
        begin=begin,
        duration=duration,
        cue="1",
    )
    assert fade.values_at(begin + duration) == {"level": target}
    assert fade.values_at(begin + duration + 1.0) == {"level": target}
    assert fade.values_at(begin) == {"level": start}


def test_fade_progress_clamps() -> None:
    assert fade_progress(10.0, 4.0, 9.0) == 0.0
    assert fade_progress(10.0, 4.0, 11.0) == 0.25
    assert fade_progress(10.0, 4.0, 20.0) == 1.0
    assert fade_progress(10.0, 0.0, 5.0) == 1.0
