"""DmxFader 16-bit pairs: exact splits, smooth fades, continuity, precedence with 8-bit sets."""

from __future__ import annotations

import numpy as np
import pytest

from cuebridge.core.curves import Curve
from cuebridge.core.dmx_patch import split16
from cuebridge.drivers.dmx_fader import DmxFader, curve_fractions


def wide(frame: np.ndarray, coarse: int, fine: int) -> int:
    return int(frame[coarse]) * 256 + int(frame[fine])


def test_a_pair_splits_its_level_like_the_patch_does() -> None:
    fader = DmxFader()
    levels = [0.0, 127.5, 255.0, 63.75, 200.123]
    slots, fine = [0, 2, 4, 6, 8], [1, 3, 5, 7, 9]
    fader.set(1, slots, levels, 0.0, fine=fine)
    frame = fader.render(0.0)[1]
    for level, coarse, low in zip(levels, slots, fine, strict=True):
        assert (frame[coarse], frame[low]) == split16(level)
    assert fader.sample(1, 0.0).tolist() == frame.tolist()


@pytest.mark.parametrize("curve", list(Curve))
def test_a_16_bit_fade_is_smooth_and_lands_exactly(curve: Curve) -> None:
    fader = DmxFader()
    fader.set(1, [100], [0.0], 0.0, fine=[101])
    fader.fade(1, [100], [255.0], curve, begin=1.0, duration=2.0, fine=[101])
    seen, ideal = [], []
    for step in range(81):  # 40 fps over 2 s
        at = 1.0 + step / 40
        frame = fader.render(at).get(1, fader.frame(1))
        seen.append(wide(frame, 100, 101))
        ideal.append(65535 * float(curve_fractions(curve, step / 80)))
    assert seen == sorted(seen)
    assert seen[-1] == 0xFFFF
    # 16-bit resolution: within one step of the ideal curve (8-bit would be off by up to 128)
    assert np.abs(np.array(seen) - np.array(ideal)).max() <= 1.0


def test_a_new_pair_starts_from_what_its_two_slots_show() -> None:
    fader = DmxFader()
    fader.set(1, np.arange(512), np.zeros(512), 0.0)  # e.g. restored raw levels
    fader.set(1, [10, 11], [0x12, 0x34], 0.0)
    fader.fade(1, [10], [0.0], Curve.LINEAR, begin=1.0, duration=1.0, fine=[11])
    assert wide(fader.render(1.0)[1], 10, 11) == 0x1234  # no jump at the start
    assert wide(fader.sample(1, 1.5), 10, 11) == round(0x1234 / 2)
    assert wide(fader.render(2.0)[1], 10, 11) == 0


def test_an_8_bit_set_on_either_slot_ends_the_pair() -> None:
    fader = DmxFader()
    fader.set(1, [0], [127.5], 0.0, fine=[1])
    fader.set(1, [1], [7.0], 1.0)  # raw level on the fine channel
    frame = fader.render(1.0)[1]
    assert frame[:2].tolist() == [128, 7]
    fader.set(1, [0], [100.25], 2.0, fine=[1])
    fader.set(1, [0], [40.0], 3.0)  # raw level on the coarse channel
    assert fader.render(3.0)[1][:2].tolist() == [40, round(100.25 * 257) & 0xFF]
    fader.set(1, [1], [9.0], 4.0)
    assert fader.render(4.0)[1][:2].tolist() == [40, 9]


def test_re_pairing_a_slot_drops_its_old_partner() -> None:
    fader = DmxFader()
    fader.set(1, [0], [255.0], 0.0, fine=[1])
    fader.set(1, [0], [0.0], 1.0, fine=[2])  # fine moves from slot 1 to slot 2
    frame = fader.render(1.0)[1]
    assert frame[:3].tolist() == [0, 255, 0]  # slot 1 is 8-bit again, keeping its level


def test_pairs_survive_table_growth_and_sampling_changes_nothing() -> None:
    fader = DmxFader()
    for universe in range(1, 10):  # the table starts with 4 rows
        fader.set(universe, [0], [127.5], 0.0, fine=[1])
    frames = fader.render(0.0)
    assert all(frame[:2].tolist() == [128, 0] for frame in frames.values())
    fader.fade(3, [0], [255.0], Curve.LINEAR, 1.0, 1.0, fine=[1])
    fader.sample(3, 1.5)
    assert list(fader.render(1.5)) == [3]  # sample did not consume the change


@pytest.mark.parametrize(
    ("slots", "fine", "message"),
    [
        ([0], [0], "once"),
        ([0, 1], [1, -1], "once"),
        ([0], [512], "fine slots"),
        ([0], [-2], "fine slots"),
        ([0], [1, 2], "shaped like"),
        ([0], [1.5], "integer"),
    ],
)
def test_bad_fine_slots_are_refused(slots: list[int], fine: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DmxFader().set(1, slots, [1.0] * len(slots), 0.0, fine=fine)


def test_a_fade_joined_late_goes_on_from_the_shown_value_and_ends_on_time() -> None:
    fader = DmxFader()
    fader.set(1, [0, 1], [200.0, 10.0], 0.0)
    # began at 1.0 but arrives at 1.5 (a resumed fade): half of the linear fade is gone
    fader.fade(1, [0, 1], [0.0, 250.0], Curve.LINEAR, begin=1.0, duration=1.0, now=1.5)
    assert fader.levels(1, 1.5)[:2].tolist() == pytest.approx([200.0, 10.0])
    assert fader.levels(1, 1.75)[:2].tolist() == pytest.approx([100.0, 130.0])
    assert fader.levels(1, 2.0)[:2].tolist() == [0.0, 250.0]
    # frames rendered just before the join never leave the range shown..end (no wrap)
    assert fader.render(1.4)[1][:2].tolist() == [200, 10]
    fader.fade(1, [0], [255.0], Curve.S_CURVE, begin=3.0, duration=1.0, now=5.0)
    assert fader.levels(1, 5.0)[0] == 255.0  # arrived after its end: straight to the target
