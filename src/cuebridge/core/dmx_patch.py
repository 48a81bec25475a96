"""DMX patch: fixture types, patched fixtures, and attribute values to and from DMX slots.

Rules:
1. A value is written in the patch's unit: percent (0-100, the default) or DMX (0-255).
2. An 8-bit attribute goes out as the nearest whole DMX value, halves up (50% -> 128).
3. A 16-bit attribute (coarse channel plus fine channel) keeps the fraction: its 0-255 level
   becomes the 16-bit value `round(level * 257)` (0 -> 0x0000, 255 -> 0xFFFF, 50% -> 0x8000),
   split into coarse (high byte) and fine (low byte).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

DMX_SLOTS = 512
MIN_UNIVERSE = 1
MAX_UNIVERSE = 63999
COLOUR_ATTRIBUTES = ("red", "green", "blue")
"""A type with all three of these shows a colour; `white` and `intensity` shade it."""


class Unit(Enum):
    """How a show writes DMX levels."""

    PERCENT = "percent"
    DMX = "dmx"

    @property
    def full_scale(self) -> float:
        """The value that means full (DMX 255)."""
        return 100.0 if self is Unit.PERCENT else 255.0

    def describe(self) -> str:
        """The valid range, for "expected ..." messages."""
        return "a number from 0 to 100%" if self is Unit.PERCENT else "a DMX value from 0 to 255"


def to_level(value: float, unit: Unit) -> float:
    """A value in `unit` as an exact 0-255 level; ValueError outside the unit's range or NaN."""
    if not 0.0 <= value <= unit.full_scale:
        raise ValueError(f"value {value:g} is outside 0-{unit.full_scale:g}")
    return value * 255.0 / unit.full_scale


def to_dmx(value: float, unit: Unit) -> int:
    """A value in `unit` as the nearest whole DMX value, halves up (ends exact)."""
    scaled = to_level(value, unit)
    whole = math.floor(scaled)
    return min(255, whole + (scaled - whole >= 0.5))


def split16(level: float) -> tuple[int, int]:
    """Coarse and fine bytes of a 0-255 level at 16-bit precision (rule 3)."""
    wide = min(65535, max(0, math.floor(level * 257.0 + 0.5)))
    return wide >> 8, wide & 0xFF


def from_dmx(value: int, unit: Unit) -> float:
    """An 8-bit slot value in `unit`: DMX as is, percent to 2 decimals."""
    return float(value) if unit is Unit.DMX else round(value * 100.0 / 255.0, 2)


def from_dmx16(coarse: int, fine: int, unit: Unit) -> float:
    """A coarse/fine pair in `unit`, to 2 decimals (0x8000 reads 50.0%, or 127.5 in DMX)."""
    wide = coarse * 256 + fine
    return round(wide * unit.full_scale / 65535.0, 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    """One controllable attribute of a fixture type and the channels it occupies."""

    name: str
    channel: int
    """1-based channel within the fixture, as fixture manuals count them (the coarse one)."""
    fine: int | None = None
    """The fine channel of a 16-bit attribute."""
    home: float = 0.0
    """Percent: the value before any cue sets it, and what panic returns it to."""
    panic: bool = False
    """Panic fades it home (intensities), or leaves it where it is (positions, colours)."""
    snap: bool = False
    """Jumps at the start of a fade instead of crossfading (colour and gobo wheels)."""

    @property
    def channels(self) -> tuple[int, ...]:
        """Every channel it occupies."""
        return (self.channel,) if self.fine is None else (self.channel, self.fine)


@dataclass(frozen=True, slots=True, kw_only=True)
class FixtureType:
    """A fixture type: its attributes by name and how many channels it takes."""

    id: str
    name: str
    attributes: Mapping[str, Attribute]
    footprint: int

    def __post_init__(self) -> None:
        used = [channel for attribute in self.attributes.values() for channel in attribute.channels]
        if len(used) != len(set(used)):
            raise ValueError(f"fixture type {self.id}: two attributes share a channel")
        if min(used, default=1) < 1 or not max(used, default=1) <= self.footprint <= DMX_SLOTS:
            raise ValueError(f"fixture type {self.id}: channels must be 1-{self.footprint}")
        object.__setattr__(self, "attributes", dict(self.attributes))

    @property
    def has_colour(self) -> bool:
        """Whether `colour` can mix a display colour from its attributes."""
        return all(name in self.attributes for name in COLOUR_ATTRIBUTES)


@dataclass(frozen=True, slots=True)
class DmxTarget:
    """Where a value lands: a universe, a 0-based slot (plus its fine slot) and a 0-255 level."""

    universe: int
    slot: int
    fine_slot: int | None
    level: float
    """Whole for 8-bit slots; 16-bit pairs keep the fraction (see `split16`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixture:
    """A fixture patched at a 1-based start address of a universe."""

    name: str
    type: FixtureType
    universe: int
    address: int

    def __post_init__(self) -> None:
        if not MIN_UNIVERSE <= self.universe <= MAX_UNIVERSE:
            raise ValueError(f"fixture {self.name}: universe {self.universe} is out of range")
        if not 1 <= self.address <= self.last_address <= DMX_SLOTS:
            raise ValueError(f"fixture {self.name}: addresses {self.span} leave 1-{DMX_SLOTS}")

    @property
    def last_address(self) -> int:
        """The last address its footprint covers."""
        return self.address + self.type.footprint - 1

    @property
    def span(self) -> str:
        """Its addresses as people write them: "41-44" (or "41")."""
        last = self.last_address
        return str(self.address) if last == self.address else f"{self.address}-{last}"

    def slot(self, channel: int) -> int:
        """The 0-based universe slot of one of its 1-based channels."""
        return self.address - 2 + channel

    def target(self, attribute: str, value: float, unit: Unit) -> DmxTarget:
        """Where `value` (in `unit`) of an attribute goes; ValueError if unknown or out of range."""
        spec = self.type.attributes.get(attribute)
        if spec is None:
            known = ", ".join(self.type.attributes)
            raise ValueError(f"fixture {self.name} ({self.type.id}) has no {attribute!r}: {known}")
        if spec.fine is None:
            return DmxTarget(self.universe, self.slot(spec.channel), None, to_dmx(value, unit))
        level = to_level(value, unit)
        return DmxTarget(self.universe, self.slot(spec.channel), self.slot(spec.fine), level)

    def read(self, slots: Sequence[int] | bytes, unit: Unit) -> dict[str, float]:
        """Every attribute's value in `unit` from a universe's 512 slot values."""
        values: dict[str, float] = {}
        for name, spec in self.type.attributes.items():
            coarse = slots[self.slot(spec.channel)]
            if spec.fine is None:
                values[name] = from_dmx(coarse, unit)
            else:
                values[name] = from_dmx16(coarse, slots[self.slot(spec.fine)], unit)
        return values

    def colour(self, slots: Sequence[int] | bytes) -> str | None:
        """The light's colour as "#rrggbb" (shaded by intensity, plus white), or None."""
        if not self.type.has_colour:
            return None

        def byte(name: str) -> int:
            spec = self.type.attributes.get(name)
            return 0 if spec is None else slots[self.slot(spec.channel)]

        master = byte("intensity") / 255.0 if "intensity" in self.type.attributes else 1.0
        white = byte("white")
        mixed = (min(255, byte(name) + white) for name in COLOUR_ATTRIBUTES)
        return "#" + "".join(f"{math.floor(value * master + 0.5):02x}" for value in mixed)


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two fixtures sharing addresses of one universe."""

    first: Fixture
    second: Fixture
    addresses: tuple[int, int]
    """The first and last shared address."""


@dataclass(frozen=True, slots=True)
class DmxPatch:
    """The fixtures of one sACN device by name, and the unit its show writes levels in."""

    fixtures: Mapping[str, Fixture] = field(default_factory=dict)
    unit: Unit = Unit.PERCENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixtures", dict(self.fixtures))

    def fixture(self, name: str) -> Fixture:
        """The fixture called `name`; ValueError if it is not patched."""
        fixture = self.fixtures.get(name)
        if fixture is None:
            raise ValueError(f"no fixture {name!r} in the patch")
        return fixture

    def target(self, fixture: str, attribute: str, value: float) -> DmxTarget:
        """Where `value` of a fixture's attribute goes (ValueError if not patched or invalid)."""
        return self.fixture(fixture).target(attribute, value, self.unit)

    def level_target(self, universe: int, address: int, value: float) -> DmxTarget:
        """Where a raw `level` action goes: one 8-bit slot at a 1-based address."""
        if not MIN_UNIVERSE <= universe <= MAX_UNIVERSE:
            raise ValueError(f"universe must be {MIN_UNIVERSE}-{MAX_UNIVERSE}, got {universe}")
        if not 1 <= address <= DMX_SLOTS:
            raise ValueError(f"address must be 1-{DMX_SLOTS}, got {address}")
        return DmxTarget(universe, address - 1, None, to_dmx(value, self.unit))

    def home(self, attribute: Attribute) -> float:
        """An attribute's home value in this patch's unit."""
        return attribute.home * self.unit.full_scale / 100.0

    def homes(self) -> list[DmxTarget]:
        """Where every attribute with a non-zero home sits before any cue."""
        return [
            fixture.target(attribute.name, self.home(attribute), self.unit)
            for fixture in self.fixtures.values()
            for attribute in fixture.type.attributes.values()
            if attribute.home
        ]

    def universes(self) -> tuple[int, ...]:
        """The universes its fixtures use, in order."""
        return tuple(sorted({fixture.universe for fixture in self.fixtures.values()}))

    def view(self, universes: Mapping[int, Sequence[int] | bytes]) -> dict[str, dict[str, object]]:
        """Every fixture's type, address, values (in the unit) and colour, from universe levels."""
        dark = bytes(DMX_SLOTS)
        view: dict[str, dict[str, object]] = {}
        for name, fixture in self.fixtures.items():
            slots = universes.get(fixture.universe, dark)
            view[name] = {
                "type": fixture.type.id,
                "universe": fixture.universe,
                "address": fixture.address,
                "values": fixture.read(slots, self.unit),
                "colour": fixture.colour(slots),
            }
        return view


def overlaps(fixtures: Iterable[Fixture]) -> list[Overlap]:
    """Each fixture that shares addresses with an earlier one (in the given order)."""
    found: list[Overlap] = []
    placed: list[Fixture] = []
    for fixture in fixtures:
        for earlier in placed:
            if earlier.universe != fixture.universe:
                continue
            first = max(earlier.address, fixture.address)
            last = min(earlier.last_address, fixture.last_address)
            if first <= last:
                found.append(Overlap(earlier, fixture, (first, last)))
                break
        placed.append(fixture)
    return found
