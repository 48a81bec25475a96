"""A media server on loopback OSC: Resolume-style layers and clips, Millumin columns, disguise.

One simulator understands the three address families of devices.md sections 3-5, because they
share one truthful model: layers with the clip (column) they play and their opacity, the
connected column, and a transport. Resolume triggers act on the press (i 1) and ignore the
release (i 0); disguise ignores a message whose only argument is a float other than 1.0.
The simulator does not know the composition: it starts with three empty layers and adds a
layer when a client addresses one (up to MAX_ENTRIES).
"""

from __future__ import annotations

from typing import Final, Unpack

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_endpoint import Ignored
from cuebridge.sim.osc_peers import Peer
from cuebridge.sim.osc_sim import (
    MAX_ENTRIES,
    OscSim,
    OscSimOptions,
    expect,
    is_press,
    number_in,
    unknown,
)

INITIAL_LAYERS: Final = 3
DISGUISE_COMMANDS: Final = (
    "play",
    "playsection",
    "loop",
    "stop",
    "previoussection",
    "nextsection",
    "returntostart",
    "previoustrack",
    "nexttrack",
)


class MediaSim(OscSim):
    """Resolume Arena, Millumin or disguise, as far as their profiles drive them (UDP)."""

    KIND = "media"
    TRANSPORTS = ("udp",)

    def __init__(self, name: str, **options: Unpack[OscSimOptions]) -> None:
        super().__init__(name, **options)
        self._layers: dict[int, JsonDict] = {}
        for layer in range(1, INITIAL_LAYERS + 1):
            self._layer(layer)
        self._column: int | str | None = None
        self._master = 1.0
        self._transport: JsonDict = {"mode": "stopped", "section": 0, "track": 0}

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Route by address family: /composition, /action and /millumin, /d3/showcontrol."""
        parts = message.address.split("/")[1:]
        if parts[0] == "composition":
            return self._resolume(message, parts[1:])
        if parts[0] == "action" or parts[0] == "millumin":
            return self._millumin(message, parts)
        if parts[:2] == ["d3", "showcontrol"] and len(parts) == 3:
            return self._disguise(message, parts[2])
        raise unknown(message)

    def state(self) -> JsonDict:
        """Layers (clip, opacity, bypassed), connected column, master, transport."""
        return {
            "kind": self.KIND,
            "layers": {str(layer): dict(body) for layer, body in sorted(self._layers.items())},
            "column": self._column,
            "master": self._master,
            "transport": dict(self._transport),
        }

    def _layer(self, layer: int) -> JsonDict:
        body = self._layers.get(layer)
        if body is None:
            if len(self._layers) >= MAX_ENTRIES:
                raise Ignored("too_many", f"more than {MAX_ENTRIES} layers")
            body = self._layers[layer] = {"clip": None, "opacity": 1.0, "bypassed": False}
        return body

    def _resolume(self, message: OscMessage, parts: list[str]) -> str:
        if parts == ["disconnectall"]:
            if not is_press(message):
                return "release ignored"
            self._connect_column(None)
            return "every layer cleared"
        if parts in (["master"], ["video", "opacity"]):
            self._master = _unit(message)
            return f"master {self._master:.0%}"
        if len(parts) == 3 and parts[0] == "columns" and parts[2] == "connect":
            column = number_in(parts[1], 1, MAX_ENTRIES, message)
            if not is_press(message):
                return "release ignored"
            self._connect_column(column)
            return f"column {column} connected"
        if len(parts) < 3 or parts[0] != "layers":
            raise unknown(message)
        layer = number_in(parts[1], 1, MAX_ENTRIES, message)
        return self._resolume_layer(message, layer, parts[2:])

    def _resolume_layer(self, message: OscMessage, layer: int, rest: list[str]) -> str:
        if rest == ["video", "opacity"]:
            body = self._layer(layer)
            body["opacity"] = _unit(message)
            return f"layer {layer} opacity {body['opacity']:.0%}"
        if rest == ["bypassed"]:
            expect(message, "i")
            body = self._layer(layer)
            body["bypassed"] = bool(message.values[0])
            return f"layer {layer} {'bypassed' if body['bypassed'] else 'live'}"
        if rest == ["clear"]:
            if not is_press(message):
                return "release ignored"
            self._layer(layer)["clip"] = None
            return f"layer {layer} cleared"
        if len(rest) == 3 and rest[0] == "clips" and rest[2] in ("connect", "select"):
            clip = number_in(rest[1], 1, MAX_ENTRIES, message)
            if not is_press(message):
                return "release ignored"
            if rest[2] == "select":
                return f"layer {layer} clip {clip} selected"
            self._layer(layer)["clip"] = clip
            return f"layer {layer} clip {clip} connected"
        raise unknown(message)

    def _millumin(self, message: OscMessage, parts: list[str]) -> str:
        if parts[0] == "millumin" and len(parts) == 3 and parts[1].startswith("index:"):
            layer = number_in(parts[1].removeprefix("index:"), 1, MAX_ENTRIES, message)
            if parts[2] != "opacity":
                raise unknown(message)
            body = self._layer(layer)
            body["opacity"] = _unit(message)
            return f"layer {layer} opacity {body['opacity']:.0%}"
        command = "/".join(parts[1:]) if parts[0] == "action" else ""
        if command == "launchColumn":
            expect(message, "i", "s")
            column = message.values[0]
            assert isinstance(column, int | str)
            self._connect_column(column)
            return f"column {column} launched"
        if command == "stopColumn":
            self._connect_column(None)
            return "column stopped"
        if command in ("launchNextColumn", "launchPreviousColumn"):
            step = 1 if command == "launchNextColumn" else -1
            current = self._column if isinstance(self._column, int) else 0
            self._connect_column(max(current + step, 1))
            return f"column {self._column} launched"
        raise unknown(message)

    def _disguise(self, message: OscMessage, command: str) -> str:
        if command not in DISGUISE_COMMANDS:
            raise unknown(message)
        if message.type_tags == "f" and message.values[0] != 1.0:
            return f"{command} not triggered (a lone float must be 1.0)"
        transport = self._transport
        if command in ("play", "playsection", "loop", "stop"):
            transport["mode"] = "stopped" if command == "stop" else command
        elif command.endswith("section"):
            step = 1 if command == "nextsection" else -1
            transport["section"] = max(int(transport["section"]) + step, 0)
        elif command == "returntostart":
            transport["section"] = 0
        else:
            step = 1 if command == "nexttrack" else -1
            transport["track"] = max(int(transport["track"]) + step, 0)
            transport["section"] = 0
        return f"{command}: {transport['mode']}, track {transport['track']}, section " + str(
            transport["section"]
        )

    def _connect_column(self, column: int | str | None) -> None:
        """A column plays its clip on every layer; None clears them all."""
        self._column = column
        for body in self._layers.values():
            body["clip"] = column


def _unit(message: OscMessage) -> float:
    """A 0..1 float argument (ints accepted), clamped as the server's slider is."""
    expect(message, "f", "d", "i")
    value = message.values[0]
    assert isinstance(value, int | float)
    return min(max(float(value), 0.0), 1.0)
