"""DMX patch mapping: units, 8- and 16-bit values, reading slots back, colours, overlaps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.core.dmx_patch import (
    Attribute,
    DmxPatch,
    DmxTarget,
    Fixture,
    FixtureType,
    Unit,
    from_dmx,
    from_dmx16,
    overlaps,
    split16,
    to_dmx,
    to_level,
)

RGB = FixtureType(
    id="rgb",
    name="RGB",
    attributes={name: Attribute(name=name, channel=n, panic=True) for n, name in
                enumerate(("red", "green", "blue"), 1)},
    footprint=3,
)  # fmt: skip
MOVER = FixtureType(
    id="mover",
    name="Mover",
    attributes={
        "pan": Attribute(name="pan", channel=1, fine=3, home=50),  # fine not adjacent
        "tilt": Attribute(name="tilt", channel=2, fine=4, home=50),
        "intensity": Attribute(name="intensity", channel=5, panic=True),
        "white": Attribute(name="white", channel=6),
    },
    footprint=8,
)
DRGB = FixtureType(
    id="dimmer-rgb",
    name="DRGB",
    attributes={
        "intensity": Attribute(name="intensity", channel=1),
        "red": Attribute(name="red", channel=2),
        "green": Attribute(name="green", channel=3),
        "blue": Attribute(name="blue", channel=4),
    },
    footprint=4,
)
FAST = settings(max_examples=200, deadline=None)


def test_percent_and_dmx_units() -> None:
    assert [to_dmx(p, Unit.PERCENT) for p in (0, 50, 100, 10, 0.19, 0.2)] == [0, 128, 255, 26, 0, 1]
    assert [to_dmx(v, Unit.DMX) for v in (0, 127.5, 127.49, 255)] == [0, 128, 127, 255]
    assert to_level(50, Unit.PERCENT) == 127.5
    assert to_level(200, Unit.DMX) == 200.0
    for bad, unit in ((100.01, Unit.PERCENT), (-1, Unit.PERCENT), (256, Unit.DMX)):
        with pytest.raises(ValueError, match="outside"):
            to_dmx(bad, unit)
    with pytest.raises(ValueError, match="outside"):
        to_level(float("nan"), Unit.DMX)
    assert from_dmx(128, Unit.PERCENT) == 50.2
    assert from_dmx(128, Unit.DMX) == 128


def test_16_bit_split_ends_and_centre() -> None:
    assert split16(0.0) == (0, 0)
    assert split16(255.0) == (255, 255)
    assert split16(to_level(50, Unit.PERCENT)) == (0x80, 0x00)
    assert split16(to_level(25, Unit.PERCENT)) == (0x40, 0x00)  # 16383.75 -> 0x4000
    assert from_dmx16(0x80, 0x00, Unit.PERCENT) == 50.0
    assert from_dmx16(0x80, 0x00, Unit.DMX) == 127.5
    assert from_dmx16(0xFF, 0xFF, Unit.DMX) == 255.0


@FAST
@given(percent=st.floats(0, 100))
def test_16_bit_round_trip_within_resolution(percent: float) -> None:
    coarse, fine = split16(to_level(percent, Unit.PERCENT))
    assert abs(from_dmx16(coarse, fine, Unit.PERCENT) - percent) <= 0.006


@FAST
@given(low=st.floats(0, 255), high=st.floats(0, 255))
def test_16_bit_split_is_monotonic(low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert split16(low) <= split16(high)  # tuples compare coarse first, then fine


def test_targets_of_8_and_16_bit_attributes() -> None:
    spot = Fixture(name="spot", type=MOVER, universe=2, address=101)
    assert spot.target("intensity", 100, Unit.PERCENT) == DmxTarget(2, 104, None, 255)
    assert spot.target("pan", 50, Unit.PERCENT) == DmxTarget(2, 100, 102, 127.5)
    assert spot.target("tilt", 127.5, Unit.DMX) == DmxTarget(2, 101, 103, 127.5)
    with pytest.raises(ValueError, match="has no 'gobo'"):
        spot.target("gobo", 1, Unit.PERCENT)
    with pytest.raises(ValueError, match="outside"):
        spot.target("pan", 101, Unit.PERCENT)


def test_read_back_and_colour() -> None:
    cyc = Fixture(name="cyc", type=RGB, universe=1, address=41)
    slots = bytearray(512)
    slots[40:43] = bytes([255, 128, 0])
    assert cyc.read(slots, Unit.PERCENT) == {"red": 100.0, "green": 50.2, "blue": 0.0}
    assert cyc.read(slots, Unit.DMX) == {"red": 255, "green": 128, "blue": 0}
    assert cyc.colour(slots) == "#ff8000"
    wash = Fixture(name="wash", type=DRGB, universe=1, address=1)
    slots[0:4] = bytes([128, 255, 0, 64])  # half intensity
    assert wash.colour(slots) == "#800020"
    spot = Fixture(name="spot", type=MOVER, universe=1, address=200)
    assert spot.colour(slots) is None  # no red/green/blue
    slots[199:203] = bytes([0x80, 0x40, 0x00, 0x00])
    assert spot.read(slots, Unit.PERCENT)["pan"] == 50.0
    assert spot.read(slots, Unit.PERCENT)["tilt"] == 25.0


def test_patch_homes_units_and_view() -> None:
    spot = Fixture(name="spot", type=MOVER, universe=3, address=1)
    cyc = Fixture(name="cyc", type=RGB, universe=1, address=41)
    patch = DmxPatch({"spot": spot, "cyc": cyc}, Unit.DMX)
    assert patch.universes() == (1, 3)
    assert patch.homes() == [DmxTarget(3, 0, 2, 127.5), DmxTarget(3, 1, 3, 127.5)]
    assert patch.home(MOVER.attributes["pan"]) == 127.5
    assert patch.level_target(1, 512, 255) == DmxTarget(1, 511, None, 255)
    with pytest.raises(ValueError, match="address"):
        patch.level_target(1, 513, 0)
    with pytest.raises(ValueError, match="no fixture 'nope'"):
        patch.target("nope", "red", 1)
    view = patch.view({1: bytes(40) + bytes([1, 2, 3]) + bytes(469)})
    assert view["cyc"] == {
        "type": "rgb",
        "universe": 1,
        "address": 41,
        "values": {"red": 1.0, "green": 2.0, "blue": 3.0},
        "colour": "#010203",
    }
    assert view["spot"]["values"]["pan"] == 0.0  # universe 3 not heard: dark


def test_fixture_must_fit_the_universe_and_types_must_be_consistent() -> None:
    assert Fixture(name="last", type=RGB, universe=1, address=510).span == "510-512"
    with pytest.raises(ValueError, match="leave 1-512"):
        Fixture(name="over", type=RGB, universe=1, address=511)
    with pytest.raises(ValueError, match="universe"):
        Fixture(name="u", type=RGB, universe=0, address=1)
    shared = {
        "a": Attribute(name="a", channel=1, fine=2),
        "b": Attribute(name="b", channel=2),
    }
    with pytest.raises(ValueError, match="share a channel"):
        FixtureType(id="bad", name="Bad", attributes=shared, footprint=2)
    with pytest.raises(ValueError, match="channels must be"):
        FixtureType(id="bad", name="Bad", attributes={"a": shared["a"]}, footprint=1)


def test_overlaps_name_the_earlier_fixture_and_the_shared_addresses() -> None:
    a = Fixture(name="a", type=RGB, universe=1, address=41)
    b = Fixture(name="b", type=RGB, universe=1, address=43)
    c = Fixture(name="c", type=RGB, universe=2, address=41)
    d = Fixture(name="d", type=RGB, universe=1, address=46)
    [overlap] = overlaps([a, b, c, d])
    assert (overlap.first.name, overlap.second.name, overlap.addresses) == ("a", "b", (43, 43))
    assert overlaps([a, d]) == []
