"""The press/release rule for remote buttons: which argument values mean "pressed"."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from cuebridge.protocols.osc import OscArg


class Edge(Enum):
    """What a button message means."""

    PRESS = "press"
    RELEASE = "release"
    NEITHER = "neither"
    """A value that is neither a press nor a release (a fader at 0.5): ignored."""


class EdgeError(ValueError):
    """The arguments cannot be a button value (a string, several values)."""


_NUMERIC = frozenset("ifdh")
_NO_VALUE = frozenset("NI")


def edge_of(args: Sequence[OscArg], *, positive_floats: bool = False) -> Edge:
    """Classify a button message's arguments.

    No argument, a non-zero int, a float of exactly 1.0 (any float above 0 with
    `positive_floats`) or true is a press; 0, 0.0 and false are releases. GO-type commands act
    on the press and ignore the release, so a surface sending both fires once.
    """
    if not args:
        return Edge.PRESS
    if len(args) > 1:
        raise EdgeError(f"expected at most one button value, got {len(args)} arguments")
    tag, value = args[0].tag, args[0].value
    if tag == "T":
        return Edge.PRESS
    if tag == "F":
        return Edge.RELEASE
    if tag in _NO_VALUE:
        return Edge.PRESS
    if tag not in _NUMERIC or not isinstance(value, int | float):
        raise EdgeError(f"expected no argument or a number or true/false, got type '{tag}'")
    if value == 0:
        return Edge.RELEASE
    if tag in "ih" or value == 1.0 or (positive_floats and value > 0):
        return Edge.PRESS
    return Edge.NEITHER
