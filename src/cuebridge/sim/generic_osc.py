"""Any OSC target: remembers the last arguments sent to each address, over UDP or TCP."""

from __future__ import annotations

from typing import Any, Unpack

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_endpoint import Ignored
from cuebridge.sim.osc_peers import Peer
from cuebridge.sim.osc_sim import MAX_ENTRIES, OscSim, OscSimOptions
from cuebridge.sim.osc_text import json_value


class GenericOscSim(OscSim):
    """Accepts every well-formed message and answers nothing (a plain OSC receiver)."""

    KIND = "osc"
    TRANSPORTS = ("udp", "tcp-slip", "tcp-len")

    def __init__(self, name: str, **options: Unpack[OscSimOptions]) -> None:
        super().__init__(name, **options)
        self._values: dict[str, list[Any]] = {}

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Remember the arguments (up to MAX_ENTRIES distinct addresses)."""
        if message.address not in self._values and len(self._values) >= MAX_ENTRIES:
            raise Ignored("too_many", f"more than {MAX_ENTRIES} addresses remembered")
        self._values[message.address] = [json_value(value) for value in message.values]
        return ""

    def state(self) -> JsonDict:
        """Last arguments per address, and the latest messages as text (oldest first)."""
        return {
            "kind": self.KIND,
            "values": {address: list(args) for address, args in sorted(self._values.items())},
            "last": [heard.text for heard in self.endpoint.last],
        }
