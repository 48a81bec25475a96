"""An X32/M32-like mixer on loopback OSC: faders, mutes, names, scenes, /xinfo and /xremote.

Follows devices.md section 1: GET is the address without arguments (answered with the current
value), SET is the address with its typed argument (wrong types are ignored, as the desk does).
Every change is pushed to the clients that renewed `/xremote` within the last 10 s, except the
client that made it (Companion sends from a second socket to hear its own changes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Unpack

from cuebridge.protocols.osc import OscMessage
from cuebridge.render.scales import X32_FADER_MAX_DB, X32_FADER_MIN_DB
from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_endpoint import LOOPBACK, Ignored
from cuebridge.sim.osc_peers import Peer
from cuebridge.sim.osc_sim import OscSim, OscSimOptions, expect, unknown

XREMOTE_LIFETIME: Final = 10.0
CHANNELS: Final = 32
BUSES: Final = 16
DCAS: Final = 8
SCENES: Final = 100
NAME_LENGTH: Final = 12
MODEL: Final = "X32"
FIRMWARE: Final = "4.06"
SERVER_VERSION: Final = "V2.07"
SERVER_NAME: Final = "osc-server"
PROBES: Final = frozenset({"/xinfo", "/info", "/status"})

# (lowest float of the segment, dB per unit of float, dB offset): dB = slope * f - offset
_SEGMENTS: Final = ((0.5, 40.0, 30.0), (0.25, 80.0, 50.0), (0.0625, 160.0, 70.0))
_STRIP: Final = re.compile(r"/(ch|bus|dca)/(\d+)/|/main/st/")


def x32_fader_db(fader: float) -> float:
    """dB shown by the desk for a fader float (devices.md 1.4), the inverse of scales.x32_fader.

    0.0 is -oo on the desk; it reads as -90 dB, the floor the profile scale sends as 0.0.
    """
    fader = min(max(fader, 0.0), 1.0)
    if fader >= 1.0:
        return X32_FADER_MAX_DB
    for lowest, slope, offset in _SEGMENTS:
        if fader >= lowest:
            return slope * fader - offset
    return 480.0 * fader + X32_FADER_MIN_DB


def format_db(db: float) -> str:
    """A level as the desk shows it: "-10.0 dB", "-oo dB" at the floor."""
    return "-oo dB" if db <= X32_FADER_MIN_DB else f"{db + 0.0:.1f} dB"


@dataclass(slots=True)
class _Param:
    tag: str
    value: float | int | str


def _params() -> dict[str, _Param]:
    """Every node the simulated desk knows, at its power-on value."""
    params: dict[str, _Param] = {}
    strips = [f"/ch/{n:02d}/" for n in range(1, CHANNELS + 1)]
    strips += [f"/bus/{n:02d}/" for n in range(1, BUSES + 1)]
    strips += ["/main/st/"]
    for prefix in strips:
        params[f"{prefix}mix/fader"] = _Param("f", 0.0)
        params[f"{prefix}mix/on"] = _Param("i", 1)
        params[f"{prefix}config/name"] = _Param("s", "")
    for n in range(1, DCAS + 1):
        params[f"/dca/{n}/fader"] = _Param("f", 0.0)
        params[f"/dca/{n}/on"] = _Param("i", 1)
        params[f"/dca/{n}/config/name"] = _Param("s", "")
    params["/-show/prepos/current"] = _Param("i", -1)
    return params


class X32Sim(OscSim):
    """A Behringer X32 / Midas M32 as far as cuebridge and Companion use it (UDP only)."""

    KIND = "mixer"
    TRANSPORTS = ("udp",)

    def __init__(self, name: str, **options: Unpack[OscSimOptions]) -> None:
        super().__init__(name, **options)
        self._params = _params()
        self._scene: int | None = None
        self._xremote: dict[Peer, float] = {}
        """Client -> time it last sent /xremote."""

    def is_probe(self, message: OscMessage) -> bool:
        """/xinfo, /info and /status."""
        return message.address in PROBES

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Apply one message: info, /xremote, scene recall, or GET/SET of a node."""
        address = message.address
        if address in PROBES:
            return self._info(message, peer)
        if address == "/xremote":
            self._xremote[peer] = self.clock.now()
            return f"xremote: changes go to {peer.label} for {XREMOTE_LIFETIME:g} s"
        if address == "/-action/goscene":
            expect(message, "i")
            return self._recall(message, peer)
        param = self._params.get(address)
        if param is None:
            raise unknown(message)
        if not message.args:
            self.reply(peer, address, param.tag, param.value)
            return f"query answered: {_describe(address, param)}"
        expect(message, param.tag)
        param.value = _coerced(address, message.args[0].value)
        self._push(address, param, peer)
        return _describe(address, param)

    def state(self) -> JsonDict:
        """Faders (float and dB), mutes ("on" true = unmuted), names, scene, /xremote clients."""
        return {
            "kind": self.KIND,
            "channels": {str(n): self._strip(f"/ch/{n:02d}/mix/") for n in range(1, CHANNELS + 1)},
            "buses": {str(n): self._strip(f"/bus/{n:02d}/mix/") for n in range(1, BUSES + 1)},
            "dcas": {str(n): self._strip(f"/dca/{n}/") for n in range(1, DCAS + 1)},
            "main": self._strip("/main/st/mix/"),
            "scene": self._scene,
            "xremote_clients": len(self._subscribers()),
        }

    def _strip(self, prefix: str) -> JsonDict:
        fader = float(self._params[f"{prefix}fader"].value)
        name_prefix = prefix.removesuffix("mix/")
        return {
            "fader": fader,
            "db": round(x32_fader_db(fader), 2),
            "on": self._params[f"{prefix}on"].value == 1,
            "name": self._params[f"{name_prefix}config/name"].value,
        }

    def _info(self, message: OscMessage, peer: Peer) -> str:
        if message.args:
            raise Ignored("bad_arguments", f"{message.address} takes no arguments")
        if message.address == "/xinfo":
            self.reply(peer, "/xinfo", "ssss", LOOPBACK, self.name, MODEL, FIRMWARE)
        elif message.address == "/info":
            self.reply(peer, "/info", "ssss", SERVER_VERSION, SERVER_NAME, MODEL, FIRMWARE)
        else:
            self.reply(peer, "/status", "sss", "active", LOOPBACK, SERVER_NAME)
        return f"answered {message.address}"

    def _recall(self, message: OscMessage, peer: Peer) -> str:
        scene = message.args[0].value
        if not isinstance(scene, int) or not 0 <= scene < SCENES:
            raise Ignored("out_of_range", f"scene {scene!r} is not 0-{SCENES - 1}")
        self._scene = scene
        current = self._params["/-show/prepos/current"]
        current.value = scene
        self._push("/-show/prepos/current", current, peer)
        return f"scene {scene} recalled"  # the simulator keeps no scene contents

    def _subscribers(self) -> list[Peer]:
        """Clients whose /xremote is still live; expired ones are forgotten."""
        now = self.clock.now()
        for peer, renewed in list(self._xremote.items()):
            if now - renewed >= XREMOTE_LIFETIME:
                del self._xremote[peer]
        return list(self._xremote)

    def _push(self, address: str, param: _Param, source: Peer) -> None:
        for peer in self._subscribers():
            if peer != source:
                self.reply(peer, address, param.tag, param.value)


def _coerced(address: str, value: object) -> float | int | str:
    """A SET value as the desk stores it: faders clamped to 0..1, on 0/1, names cut to 12."""
    if isinstance(value, float):
        return min(max(value, 0.0), 1.0)
    if isinstance(value, int) and address.endswith("/on"):
        return 1 if value else 0
    if isinstance(value, int):
        return min(max(value, -1), SCENES - 1)
    return str(value)[:NAME_LENGTH]


def _describe(address: str, param: _Param) -> str:
    """What a node now holds, for people: "fader ch 1 -> -10.0 dB", "ch 3 muted"."""
    match = _STRIP.match(address)
    strip = "main" if match is None or match.group(1) is None else f"{match[1]} {int(match[2])}"
    value = param.value
    if address.endswith("fader") and isinstance(value, float):
        return f"fader {strip} -> {format_db(x32_fader_db(value))}"
    if address.endswith("/on"):
        return f"{strip} on (unmuted)" if value == 1 else f"{strip} muted"
    if address.endswith("/config/name"):
        return f'{strip} name "{value}"'
    return f"{address} = {value}"
