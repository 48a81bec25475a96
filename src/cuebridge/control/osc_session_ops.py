"""OSC requests that are not engine commands: connection management, feedback, queries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from cuebridge.control.osc_auth import ConnectResult, rights
from cuebridge.control.osc_feedback import DEFAULT_TTL
from cuebridge.control.osc_namespace import Op, Request
from cuebridge.control.osc_session import ClientSession
from cuebridge.control.qlab_compat import VERSION, Status, reply
from cuebridge.control.qlab_queries import QueryError, latest_running
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.protocols.osc import OscArg, OscMessage

if TYPE_CHECKING:
    from cuebridge.control.osc_dispatch import OscDispatcher

logger = logging.getLogger(__name__)

_TRUE_WORDS = frozenset({"1", "yes", "true", "on"})
_FALSE_WORDS = frozenset({"0", "no", "false", "off"})
Handler = Callable[[Request, OscMessage, ClientSession], None]


class ArgumentError(ValueError):
    """The arguments do not fit the request."""


def flag(args: tuple[OscArg, ...], default: bool) -> bool:
    """A boolean argument: none (default), 1/0, true/false, or "YES"/"NO" as QLabKit sends."""
    if not args:
        return default
    tag, value = args[0].tag, args[0].value
    if tag in "TF":
        return tag == "T"
    if tag in "ifdh" and isinstance(value, int | float):
        return value != 0
    if tag == "s" and isinstance(value, str) and value.strip().lower() in _TRUE_WORDS:
        return True
    if tag == "s" and isinstance(value, str) and value.strip().lower() in _FALSE_WORDS:
        return False
    raise ArgumentError(f"expected 1/0 or true/false, got type '{tag}'")


def _number(arg: OscArg, what: str) -> float:
    if arg.tag in "ifdh" and isinstance(arg.value, int | float) and arg.value == arg.value:
        return float(arg.value)
    raise ArgumentError(f"expected a number for {what}, got type '{arg.tag}'")


def _port(arg: OscArg) -> int:
    port = _number(arg, "the port")
    if port != int(port) or not 1 <= port <= 65535:
        raise ArgumentError(f"expected a port from 1 to 65535, got {arg.value!r}")
    return int(port)


class SessionOps:
    """Answers every non-command request for the dispatcher."""

    def __init__(self, dispatcher: OscDispatcher) -> None:
        self._d = dispatcher
        self._handlers: dict[Op, Handler] = {
            Op.PING: self._ping,
            Op.CONNECT: self._connect,
            Op.DISCONNECT: self._disconnect,
            Op.THUMP: lambda r, m, s: self._ok(s, r, "thump"),
            Op.ALWAYS_REPLY: self._always_reply,
            Op.UDP_REPLY_PORT: self._udp_reply_port,
            Op.VERSION: lambda r, m, s: self._ok(s, r, VERSION),
            Op.WORKSPACES: self._workspaces,
            Op.UPDATES: self._updates,
            Op.SUBSCRIBE: self._subscribe,
            Op.STATE: lambda r, m, s: self._d.feedback.dump(s),
            Op.CUE_LISTS: lambda r, m, s: self._ok(s, r, self._d.index.cue_lists(self._snap())),
            Op.RUNNING_CUES: lambda r, m, s: self._running(s, r, paused=False),
            Op.RUNNING_OR_PAUSED_CUES: lambda r, m, s: self._running(s, r, paused=True),
            Op.SELECTED_CUES: self._selected,
            Op.DOUBLE_GO_REMAINING: self._double_go,
            Op.SHOW_MODE: lambda r, m, s: self._ok(s, r, True),
            Op.CUE_PROPERTY: self._cue_property,
        }

    def handle(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        """Answer `request`; bad arguments are rejected with an error reply."""
        try:
            self._handlers[request.op](request, message, session)
        except (ArgumentError, QueryError) as err:
            self._d.reject(session, "bad-arguments", str(err), request.address, request)

    def _snap(self) -> EngineSnapshot:
        return self._d.snapshot()

    def _ok(self, session: ClientSession, request: Request, data: object = None) -> None:
        self._d.respond(session, request, Status.OK, data)

    def _ping(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        session.send(OscMessage("/cuebridge/pong", message.args))

    def _connect(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        args = message.args
        if len(args) > 1 or (args and args[0].tag not in "si"):
            raise ArgumentError("expected one passcode (a string) or none")
        passcode = str(args[0].value) if args else ""
        result, role = self._d.policy.connect(session.host, passcode, self._d.now())
        if result is ConnectResult.OK:
            session.role = role
            session.authenticated = bool(passcode)
            logger.info("OSC %s connected as %s", session.source, role.label)
            self._ok(session, request, f"ok:{rights(role)}")
            return
        self._d.stats.rejected[f"connect-{result.value}"] += 1
        self._d.log.log(logging.WARNING, "OSC %s: /connect %s", session.source, result.value)
        self._d.respond(session, request, Status.DENIED, result.value)

    def _disconnect(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        self._d.feedback.unsubscribe(session)
        self._ok(session, request)
        session.close()

    def _always_reply(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        session.always_reply = flag(message.args, True)
        self._ok(session, request)

    def _udp_reply_port(
        self, request: Request, message: OscMessage, session: ClientSession
    ) -> None:
        if len(message.args) != 1:
            raise ArgumentError("expected one port number")
        port = _port(message.args[0])
        if not session.stream:
            session.reply_port = port
        self._ok(session, request)

    def _workspaces(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        index = self._d.index
        workspace = {
            "uniqueID": index.workspace_id,
            "displayName": index.show.title,
            "version": VERSION,
            "hasPasscode": self._d.policy.passcodes_configured,
        }
        self._ok(session, request, [workspace])

    def _updates(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        on = flag(message.args, session.qlab_updates)
        self._d.feedback.set_qlab_updates(session, on)
        self._ok(session, request)

    def _subscribe(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        """`/cuebridge/subscribe [on] [ttl] [port]`: 1 = push feedback (renew before ttl)."""
        args = message.args
        if len(args) > 3:
            raise ArgumentError("expected at most: on (1/0), ttl seconds, reply port")
        on = flag(args[:1], True)
        ttl = _number(args[1], "the ttl") if len(args) > 1 else DEFAULT_TTL
        if len(args) > 2 and not session.stream:
            session.reply_port = _port(args[2])
        if not on:
            self._d.feedback.unsubscribe(session)
            return
        granted = self._d.feedback.subscribe(session, ttl)
        if session.always_reply:
            self._ok(session, request, {"ttl": granted})

    def _running(self, session: ClientSession, request: Request, *, paused: bool) -> None:
        self._ok(session, request, self._d.index.running(self._snap(), paused=paused))

    def _selected(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        lists = self._snap().lists
        standby = lists[0].standby if lists else None
        self._ok(session, request, [self._d.index.shallow(standby)] if standby else [])

    def _double_go(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        locked = self._snap().go_locked_until
        self._ok(session, request, 0.0 if locked is None else max(0.0, locked - self._d.now()))

    def _cue_property(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        prop = request.prop or ""
        argument: str | None = None
        if message.args:
            value = message.args[0].value
            if prop != "valuesForKeys" or len(message.args) != 1 or not isinstance(value, str):
                raise ArgumentError(
                    f"{prop} is read-only over OSC"
                    if prop != "valuesForKeys"
                    else "valuesForKeys needs one string argument"
                )
            argument = value
        number = self._cue_number(request)
        index = self._d.index
        data = index.property(number, prop, argument, self._snap())
        prefix = f"/workspace/{request.workspace}" if request.workspace else ""
        address = f"{prefix}/cue_id/{index.cue_id(number)}/{prop}"
        session.send(reply(address, Status.OK, data, workspace_id=index.workspace_id))

    def _cue_number(self, request: Request) -> str:
        index, snapshot = self._d.index, self._snap()
        if request.cue_id is not None:
            found = index.resolve_id(request.cue_id)
            if found is None or found[0] != "cue":
                raise QueryError(f"no cue with uniqueID {request.cue_id!r}")
            return found[1]
        if request.cue in ("playhead", "selected"):
            standby = snapshot.lists[0].standby if snapshot.lists else None
            if standby is None:
                raise QueryError("nothing is standing by")
            return standby
        if request.cue == "active":
            running = latest_running(snapshot, frozenset())
            if running is None:
                raise QueryError("no cue is running")
            return running.number
        number = index.canonical(request.cue or "")
        if number is None:
            raise QueryError(f"no cue numbered {request.cue!r}")
        return number
