"""A QLab 5-like target on loopback OSC: passcode and rights, GO, cues, /thump, JSON replies.

Follows control-surface.md section 1. Replies are `/reply{address}` with one JSON string
`{"workspace_id", "address", "status", "data"}`. Queries (and /connect, /thump) always answer;
actions answer only after `/alwaysReply 1`; a request without the right answers "denied".
With no passcode every client has every right; with one, `/connect <passcode>` grants the
configured rights ("ok:view|edit|control"), a wrong one answers "badpass" and five wrong ones
in a row lock that host out for a minute (QLab's lockout length is unverified). UDP replies go
to the sender's port unless the client set `/udpReplyPort` (QLab 3/4 always used 53001).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Unpack

from cuebridge.protocols.osc import OscMessage
from cuebridge.sim.base import JsonDict
from cuebridge.sim.osc_endpoint import Ignored
from cuebridge.sim.osc_peers import Peer, TcpPeer, UdpPeer
from cuebridge.sim.osc_sim import OscSim, OscSimOptions, unknown
from cuebridge.sim.qlab_actions import CONTROL, EDIT_OR_CONTROL, VERSION, VIEW, resolve
from cuebridge.sim.qlab_workspace import DEFAULT_CUES, Workspace, WorkspaceFull

RIGHTS: Final = ("view", "edit", "control")
LOCKOUT_AFTER: Final = 5
LOCKOUT_SECONDS: Final = 60.0
MAX_CLIENTS: Final = 64
_TRUE: Final = frozenset({"1", "yes", "true", "on"})

__all__ = ["CONTROL", "EDIT_OR_CONTROL", "RIGHTS", "VERSION", "VIEW", "QLabSim"]


@dataclass(slots=True)
class _Client:
    rights: frozenset[str]
    connected: bool = False
    always_reply: bool = False
    updates: bool = False
    reply_port: int | None = None


class QLabSim(OscSim):
    """A QLab 5 workspace over OSC (TCP SLIP, and UDP)."""

    KIND = "qlab"
    TRANSPORTS = ("tcp-slip", "udp")

    def __init__(
        self,
        name: str,
        *,
        passcode: str = "",
        rights: Sequence[str] = RIGHTS,
        cues: Sequence[str] = DEFAULT_CUES,
        **options: Unpack[OscSimOptions],
    ) -> None:
        super().__init__(name, **options)
        unknown_rights = sorted(set(rights) - set(RIGHTS))
        if unknown_rights:
            raise ValueError(f"unknown QLab rights {unknown_rights}; expected {RIGHTS}")
        self.passcode = passcode
        self.granted = frozenset(rights)
        self.workspace = Workspace(name, cues)
        self._clients: dict[Peer, _Client] = {}
        self._strikes: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def is_probe(self, message: OscMessage) -> bool:
        """/thump, bare or with a workspace prefix."""
        try:
            return self._path(message.address) == "/thump"
        except Ignored:
            return False

    def handle(self, message: OscMessage, peer: Peer) -> str:
        """Route one message: session, settings, or a workspace request checked for rights."""
        host = _host(peer)
        locked_until = self._locked_until.get(host)
        if locked_until is not None and self.clock.now() < locked_until:
            raise Ignored("locked_out", f"{host} sent too many wrong passcodes")
        path = self._path(message.address)
        client = self._client(peer)
        if path == "/connect":
            return self._connect(message, peer, client, host)
        if path in ("/alwaysReply", "/updates", "/udpReplyPort", "/disconnect"):
            return self._setting(message, path, peer, client)
        if path in ("/version", "/workspaces") and not message.args:
            data = VERSION if path == "/version" else [self._workspace_info()]
            self._respond(peer, client, message.address, "ok", data, force=True)
            return f"{path[1:]} answered"
        request = resolve(self.workspace, path, message)
        if request is None:
            self._respond(peer, client, message.address, "error", None, force=False)
            raise unknown(message)
        if request.needs and not client.rights & request.needs:
            self._respond(peer, client, message.address, "denied", None, force=True)
            raise Ignored("denied", f"{path} needs the {' or '.join(sorted(request.needs))} right")
        before = self._snapshot()
        try:
            note, data = request.run()
        except WorkspaceFull as err:
            self._respond(peer, client, message.address, "error", None, force=request.query)
            raise Ignored("too_many", str(err)) from None
        self._respond(peer, client, message.address, "ok", data, force=request.query)
        self._announce(before)
        return note

    def state(self) -> JsonDict:
        """Playhead, running and paused cues, the cue list, connected clients."""
        workspace = self.workspace
        return {
            "kind": self.KIND,
            "workspace_id": workspace.id,
            "playhead": workspace.playhead,
            "running": list(workspace.running),
            "paused": list(workspace.paused),
            "cues": list(workspace.cues),
            "connected_clients": sum(client.connected for client in self._clients.values()),
            "passcode_required": bool(self.passcode),
        }

    def _workspace_info(self) -> JsonDict:
        return {
            "uniqueID": self.workspace.id,
            "displayName": self.name,
            "port": self.port,
            "udpReplyPort": 53001,
            "version": VERSION,
            "hasPasscode": bool(self.passcode),
        }

    def disconnected(self, peer: TcpPeer) -> None:
        """A TCP client went away: it must /connect again."""
        self._clients.pop(peer, None)

    def _path(self, address: str) -> str:
        """The address without a `/workspace/{id}` prefix; another workspace is not open here."""
        if not address.startswith("/workspace/"):
            return address
        _, _, workspace_id, *rest = address.split("/", 3)
        if workspace_id != self.workspace.id:
            raise Ignored("unknown_workspace", f"no open workspace {workspace_id}")
        return "/" + "".join(rest)

    def _client(self, peer: Peer) -> _Client:
        client = self._clients.get(peer)
        if client is None:
            rights = frozenset() if self.passcode else frozenset(RIGHTS)
            client = self._clients[peer] = _Client(rights)
            if len(self._clients) > MAX_CLIENTS:
                del self._clients[next(iter(self._clients))]
        return client

    def _connect(self, message: OscMessage, peer: Peer, client: _Client, host: str) -> str:
        given = message.values[0] if message.type_tags == "s" else ""
        if not self.passcode or given == self.passcode:
            client.rights = self.granted if self.passcode else frozenset(RIGHTS)
            client.connected = True
            self._strikes.pop(host, None)
            granted = "|".join(right for right in RIGHTS if right in client.rights)
            self._respond(peer, client, message.address, "ok", f"ok:{granted}", force=True)
            return f"connected with {granted or 'no'} rights"
        if not given:
            self._respond(peer, client, message.address, "ok", "denied", force=True)
            return "connect without the passcode: denied"
        strikes = self._strikes[host] = self._strikes.get(host, 0) + 1
        if strikes >= LOCKOUT_AFTER:
            self._locked_until[host] = self.clock.now() + LOCKOUT_SECONDS
            self._strikes.pop(host)
        self._respond(peer, client, message.address, "ok", "badpass", force=True)
        return f"wrong passcode ({strikes} in a row)"

    def _setting(self, message: OscMessage, path: str, peer: Peer, client: _Client) -> str:
        if path == "/disconnect":
            self._clients.pop(peer, None)
            return "disconnected"
        if len(message.args) != 1:
            raise Ignored("bad_arguments", f"{path} takes one argument")
        value = message.values[0]
        if path == "/udpReplyPort":
            if not isinstance(value, int) or not 0 < value < 65536:
                raise Ignored("bad_arguments", f"/udpReplyPort takes a port, got {value!r}")
            client.reply_port = value
            return f"UDP replies go to port {value}"
        on = str(value).lower() in _TRUE if isinstance(value, str) else bool(value)
        if path == "/updates":
            if not client.rights & VIEW:
                self._respond(peer, client, message.address, "denied", None, force=True)
                raise Ignored("denied", "/updates needs the view right")
            client.updates = on
            return "updates on" if on else "updates off"
        client.always_reply = on
        return "always reply on" if on else "always reply off"

    def _respond(
        self, peer: Peer, client: _Client, address: str, status: str, data: Any, *, force: bool
    ) -> None:
        if not (force or client.always_reply):
            return
        body: JsonDict = {"workspace_id": self.workspace.id, "address": address, "status": status}
        if data is not None:
            body["data"] = data
        target = peer
        if isinstance(peer, UdpPeer) and client.reply_port is not None:
            target = UdpPeer(peer.host, client.reply_port)
        self.reply(target, f"/reply{address}", "s", json.dumps(body, separators=(",", ":")))

    def _snapshot(self) -> tuple[str | None, frozenset[str], int]:
        workspace = self.workspace
        active = frozenset([*workspace.running, *(f"{cue} paused" for cue in workspace.paused)])
        return workspace.playhead, active, len(workspace.cues)

    def _announce(self, before: tuple[str | None, frozenset[str], int]) -> None:
        """Push /update notices to clients that asked with /updates 1."""
        listeners = [peer for peer, client in self._clients.items() if client.updates]
        after = self._snapshot()
        if not listeners or after == before:
            return
        ws = f"/update/workspace/{self.workspace.id}"
        notices: dict[str, tuple[str, ...]] = {}
        if after[2] != before[2]:
            notices[ws] = ()
        if after[0] != before[0]:
            cue_id = "" if after[0] is None else self.workspace.cue_id(after[0])
            notices[f"{ws}/cueList/{self.workspace.list_id}/playbackPosition"] = (cue_id,)
        for changed in sorted(before[1] ^ after[1]):
            notices[f"{ws}/cue_id/{self.workspace.cue_id(changed.removesuffix(' paused'))}"] = ()
        for peer in listeners:
            for address, values in notices.items():
                self.reply(peer, address, "s" * len(values), *values)


def _host(peer: Peer) -> str:
    if isinstance(peer, UdpPeer):
        return peer.host
    return peer.label.removeprefix("tcp ").rpartition(":")[0] or peer.label
