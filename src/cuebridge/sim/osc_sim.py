"""Common ground of the simulated OSC devices: the SimulatedDevice surface over an OscEndpoint."""

from __future__ import annotations

from typing import ClassVar, TypedDict

from cuebridge.config.profile_model import Profile
from cuebridge.protocols.osc import OscMessage, OscValue, osc_message
from cuebridge.runtime.clock import Clock, MonotonicClock
from cuebridge.sim.base import JsonDict
from cuebridge.sim.faults import WatchedFaults
from cuebridge.sim.osc_endpoint import Ignored, Listener, OscEndpoint
from cuebridge.sim.osc_peers import Peer, TcpPeer

MAX_ENTRIES = 1000
"""Bound on anything a client can make a simulator remember (addresses, cues, layers)."""


class OscSimOptions(TypedDict, total=False):
    """The keyword options every simulated OSC device takes (see `OscSim`)."""

    profile: Profile | None
    port: int
    clock: Clock | None
    seed: int | str | None


class OscSim:
    """Base of every simulated OSC device; subclasses implement handle() and state()."""

    KIND: ClassVar[str] = "osc"
    TRANSPORTS: ClassVar[tuple[str, ...]] = ("udp",)
    """Profile transports the device offers, the usual one first."""

    def __init__(
        self,
        name: str,
        *,
        profile: Profile | None = None,
        port: int = 0,
        clock: Clock | None = None,
        seed: int | str | None = None,
    ) -> None:
        self._name = name
        self.profile = profile
        self.clock: Clock = clock or MonotonicClock()
        self.endpoint = OscEndpoint(
            name,
            self.handle,
            port=port,
            tcp=any(transport.startswith("tcp") for transport in self.TRANSPORTS),
            is_probe=self.is_probe,
            on_disconnect=self.disconnected,
            clock=self.clock,
            seed=seed,
        )

    @property
    def name(self) -> str:
        """The device name it stands in for."""
        return self._name

    @property
    def kind(self) -> str:
        """Family: mixer, console, qlab, media, osc."""
        return self.KIND

    @property
    def transports(self) -> tuple[str, ...]:
        """Profile transports this simulator accepts, the usual one first."""
        return self.TRANSPORTS

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        return self.endpoint.port

    @property
    def faults(self) -> WatchedFaults:
        """Live fault switches; set a field to inject a failure."""
        return self.endpoint.faults

    async def start(self) -> None:
        """Bind on 127.0.0.1 and serve."""
        await self.endpoint.start()

    async def aclose(self) -> None:
        """Stop serving; idempotent."""
        await self.endpoint.aclose()

    def stats(self) -> JsonDict:
        """Counters: packets, messages, answers, ignored by reason, fault effects."""
        return self.endpoint.stats()

    def add_listener(self, listener: Listener) -> None:
        """Hear each message taken in or ignored (used by `cuebridge sim`)."""
        self.endpoint.add_listener(listener)

    def state(self) -> JsonDict:
        """Live device state as JSON-able data."""
        raise NotImplementedError

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Apply one message; return what the device did or raise Ignored."""
        raise NotImplementedError

    def is_probe(self, message: OscMessage) -> bool:
        """True for the liveness probes that the ignore_probes fault leaves unanswered."""
        return False

    def disconnected(self, peer: TcpPeer) -> None:
        """A TCP client went away: forget what was kept for it."""

    def reply(self, peer: Peer, address: str, tags: str = "", *values: OscValue) -> None:
        """Send one message to `peer` (delayed or suppressed by the faults)."""
        self.endpoint.send(peer, osc_message(address, tags, *values))


def unknown(message: OscMessage) -> Ignored:
    """The device has no such address (raise the result)."""
    return Ignored("unknown_address", f"no such address {message.address}")


def expect(message: OscMessage, *accepted: str) -> None:
    """Raise Ignored unless the message's type tags are one of `accepted`."""
    if message.type_tags not in accepted:
        wanted = " or ".join(f",{tags}" for tags in accepted)
        got = f",{message.type_tags}"
        raise Ignored("bad_arguments", f"{message.address} takes {wanted}, got {got}")


def is_press(message: OscMessage) -> bool:
    """The press/release edge rule: no argument, a non-zero number, T or a string is a press."""
    if not message.args:
        return True
    value = message.args[0].value
    if isinstance(value, bool | int | float):
        return bool(value)
    return message.args[0].tag not in ("F", "N")


def number_in(text: str, low: int, high: int, message: OscMessage) -> int:
    """A decimal index from an address part, within [low, high], else Ignored."""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise Ignored("unknown_address", f"{message.address}: {text!r} is not {low}-{high}")
    return int(text)
