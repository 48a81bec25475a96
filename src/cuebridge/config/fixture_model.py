"""Pydantic models of DMX fixture type files and of a show's patch entries."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema

from cuebridge.config.fields import Flag, Name, Text, Version, choice_check, choice_schema, fail
from cuebridge.config.profile_model import FileModel
from cuebridge.core.dmx_patch import DMX_SLOTS, MAX_UNIVERSE, MIN_UNIVERSE, Unit

FIXTURE_TYPE_VERSION = 1
"""The fixture type file format version this cuebridge reads."""
UNITS = tuple(unit.value for unit in Unit)
RESERVED_ATTRIBUTES = ("fixture", "attribute", "value")
"""Names the `fixture` action uses for itself."""


def _whole(low: int, high: int, what: str) -> PlainValidator:
    def check(value: Any) -> int:
        if type(value) is int and low <= value <= high:
            return value
        fail(f"{what} from {low} to {high}")

    return PlainValidator(check)


def _percent(value: Any) -> float:
    if type(value) in (int, float) and 0 <= value <= 100:
        return float(value)
    fail("a number from 0 to 100%")


def _schema(low: int, high: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})


Channel = Annotated[int, _whole(1, DMX_SLOTS, "a channel"), _schema(1, DMX_SLOTS)]
Universe = Annotated[
    int, _whole(MIN_UNIVERSE, MAX_UNIVERSE, "a universe"), _schema(MIN_UNIVERSE, MAX_UNIVERSE)
]
Address = Annotated[int, _whole(1, DMX_SLOTS, "a DMX address"), _schema(1, DMX_SLOTS)]
Percent = Annotated[
    float,
    PlainValidator(_percent),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100}),
]
UnitName = Annotated[str, choice_check(UNITS), choice_schema(UNITS)]


class AttributeFile(FileModel):
    """One attribute of a fixture type: the channel(s) it occupies and how it behaves."""

    channel: Channel
    """1-based channel within the fixture, as the fixture's manual numbers it."""
    fine: Channel | None = None
    """16-bit attributes (pan, tilt): the channel of the low byte."""
    home: Percent = 0.0
    """Percent: where it sits before any cue, and where panic takes it."""
    panic: Flag = False
    """Panic fades it home: true for intensities, false for positions and colours."""
    snap: Flag = False
    """Jump at the start of a fade instead of crossfading (colour and gobo wheels)."""
    description: Text = ""


class FixtureTypeFile(FileModel):
    """A DMX fixture type: a named channel layout."""

    fixture_type: Name
    """The type's id, equal to its file's stem; patches name it in `type`."""
    name: Text
    version: Version
    description: Text = ""
    footprint: Channel | None = None
    """Channels the fixture takes (default: its highest attribute channel)."""
    attributes: Annotated[dict[str, AttributeFile], Field(min_length=1)]
    """Attributes by name; cues set them by these names."""


class PatchEntryFile(FileModel):
    """One fixture in a device's patch."""

    type: Name
    """A fixture type id (profiles/fixtures/*.yaml)."""
    universe: Universe
    address: Address
    """1-based start address; the whole footprint must fit below 513."""
