"""An ETC Eos-like console on loopback OSC: cue fire, GO, macros, subs, ping and cue feedback.

Follows control-surface.md section 6. Eos sends its implicit output (active, pending and
previous cue) to every connected TCP client and, standing in for the console's OSC TX address
setting, to every UDP client that sent `/eos/subscribe 1` or `/eos/reset`. The simulator does
not know the show: it behaves as if every list held cues 1, 2, 3... (so the cue pending after
12.5 is 13); cues complete at once, so the active cue reports 100 %.
"""

from __future__ import annotations

import math
import re
from typing import Final, Unpack

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_endpoint import Ignored
from cuebridge.sim.osc_peers import Peer, TcpPeer
from cuebridge.sim.osc_sim import (
    MAX_ENTRIES,
    OscSim,
    OscSimOptions,
    expect,
    is_press,
    number_in,
    unknown,
)

VERSION: Final = "3.2.10"
MAX_LIST: Final = 999
MAX_SUB: Final = 999
MAX_CHAN: Final = 99999
MAX_UDP_SUBSCRIBERS: Final = 16
_CUE_NUMBER: Final = re.compile(r"\d{1,5}(\.\d{1,3})?")

Cue = tuple[int, str]
"""(list, cue number)."""


def _next_cue(cue: Cue) -> Cue:
    return cue[0], str(math.floor(float(cue[1])) + 1)


def _label(cue: Cue | None) -> str | None:
    return None if cue is None else f"{cue[0]}/{cue[1]}"


class EosSim(OscSim):
    """An Eos family console over OSC (TCP SLIP or length prefix, detected, and UDP)."""

    KIND = "console"
    TRANSPORTS = ("tcp-slip", "tcp-len", "udp")

    def __init__(self, name: str, **options: Unpack[OscSimOptions]) -> None:
        super().__init__(name, **options)
        self._active: Cue | None = None
        self._pending: Cue = (1, "1")
        self._previous: Cue | None = None
        self._subs: dict[int, float] = {}
        self._chans: dict[int, float] = {}
        self._last_macro: int | None = None
        self._last_key: str | None = None
        self._user: int | None = None
        self._cmd = ""
        self._udp_subscribers: dict[Peer, None] = {}
        """UDP clients that asked for implicit output, oldest first."""

    def is_probe(self, message: OscMessage) -> bool:
        """/eos/ping."""
        return message.address == "/eos/ping"

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Apply one /eos/... message."""
        parts = message.address.split("/")[1:]
        if len(parts) < 2 or parts[0] != "eos":
            raise unknown(message)
        head, rest = parts[1], parts[2:]
        if head == "ping" and not rest:
            self.reply(peer, "/eos/out/ping", message.type_tags, *message.values)
            return "ping echoed"
        if head == "cue" and rest and rest[-1] == "fire" and len(rest) in (2, 3):
            return self._fire(message, rest[:-1])
        if head == "key" and len(rest) == 1:
            return self._key(message, rest[0])
        if head == "macro" and rest == ["fire"]:
            expect(message, "i")
            return self._macro(message)
        if head in ("sub", "chan") and len(rest) == 1:
            return self._level(message, head, rest[0])
        if not rest:
            return self._session(message, head, peer)
        if head == "get" and rest == ["version"]:
            self.reply(peer, "/eos/out/get/version", "s", VERSION)
            return "version answered"
        raise unknown(message)

    def state(self) -> JsonDict:
        """Active, pending and previous cue, the list, subs and channels, the last macro and key."""
        return {
            "kind": self.KIND,
            "list": None if self._active is None else self._active[0],
            "active_cue": None if self._active is None else self._active[1],
            "pending_cue": self._pending[1],
            "pending_list": self._pending[0],
            "previous_cue": _label(self._previous),
            "subs": {str(sub): level for sub, level in sorted(self._subs.items())},
            "chans": {str(chan): level for chan, level in sorted(self._chans.items())},
            "last_macro": self._last_macro,
            "last_key": self._last_key,
            "user": self._user,
            "cmd": self._cmd,
            "subscribers": len(self._clients()),
        }

    def _fire(self, message: OscMessage, where: list[str]) -> str:
        if not is_press(message):
            return "release ignored"
        cue_list = number_in(where[0], 1, MAX_LIST, message) if len(where) == 2 else 1
        number = where[-1]
        if not _CUE_NUMBER.fullmatch(number):
            raise Ignored("unknown_address", f"{message.address}: {number!r} is not a cue number")
        return self._go((cue_list, number))

    def _go(self, cue: Cue) -> str:
        self._previous, self._active, self._pending = self._active, cue, _next_cue(cue)
        self._broadcast_cues()
        return f"cue {_label(cue)} fired, {_label(self._pending)} pending"

    def _key(self, message: OscMessage, key: str) -> str:
        if not is_press(message):
            return f"key {key} released"
        self._last_key = key
        if key == "go_0":
            return "GO: " + self._go(self._pending)
        return f"key {key} pressed"

    def _macro(self, message: OscMessage) -> str:
        macro = message.values[0]
        if not isinstance(macro, int) or not 1 <= macro <= 99999:
            raise Ignored("out_of_range", f"macro {macro!r} is not 1-99999")
        self._last_macro = macro
        for client in self._clients():
            self.reply(client, f"/eos/out/event/macro/{macro}")
        return f"macro {macro} fired"

    def _level(self, message: OscMessage, head: str, index: str) -> str:
        expect(message, "f", "i")
        number = number_in(index, 1, MAX_SUB if head == "sub" else MAX_CHAN, message)
        value = message.values[0]
        assert isinstance(value, int | float)
        table = self._subs if head == "sub" else self._chans
        if number not in table and len(table) >= MAX_ENTRIES:
            raise Ignored("too_many", f"more than {MAX_ENTRIES} {head}s set")
        table[number] = float(value)
        return f"{head} {number} at {float(value):g}"

    def _session(self, message: OscMessage, head: str, peer: Peer) -> str:
        """The connection-level messages: subscribe, reset, user, cmd and newcmd."""
        values = message.values
        if head == "subscribe":
            subscribe = not values or bool(values[0])
            if isinstance(peer, TcpPeer):
                return "subscribed" if subscribe else "unsubscribed (TCP clients still hear cues)"
            if subscribe:
                self._subscribe(peer)
                self._send_cues(peer)
                return "subscribed"
            self._udp_subscribers.pop(peer, None)
            return "unsubscribed"
        if head == "reset":
            if not isinstance(peer, TcpPeer):
                self._subscribe(peer)
            self._send_cues(peer)
            return "reset: implicit output sent again"
        if head == "user":
            expect(message, "i")
            user = values[0]
            assert isinstance(user, int)
            self._user = user
            return f"user {user}"
        if head in ("cmd", "newcmd") and message.type_tags.startswith("s"):
            text = str(values[0])
            self._cmd = text if head == "newcmd" else self._cmd + text
            return f'command line "{self._cmd}"'
        raise unknown(message)

    def _subscribe(self, peer: Peer) -> None:
        self._udp_subscribers.pop(peer, None)
        self._udp_subscribers[peer] = None
        while len(self._udp_subscribers) > MAX_UDP_SUBSCRIBERS:
            del self._udp_subscribers[next(iter(self._udp_subscribers))]

    def _clients(self) -> list[Peer]:
        return [*self.endpoint.tcp_peers(), *self._udp_subscribers]

    def _broadcast_cues(self) -> None:
        for client in self._clients():
            self._send_cues(client)

    def _send_cues(self, peer: Peer) -> None:
        """Active (100 % complete), pending and previous cue, with their text forms."""
        if self._active is not None:
            active = _label(self._active)
            self.reply(peer, f"/eos/out/active/cue/{active}", "f", 1.0)
            self.reply(peer, "/eos/out/active/cue/text", "s", f"{active} 100%")
        pending = _label(self._pending)
        self.reply(peer, f"/eos/out/pending/cue/{pending}")
        self.reply(peer, "/eos/out/pending/cue/text", "s", f"{pending}")
        if self._previous is not None:
            previous = _label(self._previous)
            self.reply(peer, f"/eos/out/previous/cue/{previous}")
            self.reply(peer, "/eos/out/previous/cue/text", "s", f"{previous}")
