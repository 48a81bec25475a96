"""Handles OSC packets from a client: decode, authorise, submit commands, reply, count."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from cuebridge.control.osc_auth import AccessPolicy
from cuebridge.control.osc_commands import RequestError, build_command
from cuebridge.control.osc_feedback import Feedback
from cuebridge.control.osc_namespace import COMMAND_OPS, OPEN_OPS, Op, Request, resolve_native
from cuebridge.control.osc_session import ClientSession
from cuebridge.control.osc_session_ops import SessionOps
from cuebridge.control.osc_stats import InputStats, RateLimitedLog
from cuebridge.control.press import Edge, EdgeError, edge_of
from cuebridge.control.qlab_compat import Status, reply, resolve_qlab
from cuebridge.control.qlab_queries import QlabShowIndex, QueryError
from cuebridge.core.commands import Command
from cuebridge.core.model import Show
from cuebridge.core.snapshot import EngineSnapshot
from cuebridge.protocols.osc import OscBundle, OscDecodeError, OscMessage, decode_packet
from cuebridge.runtime.clock import Clock
from cuebridge.runtime.roles import Role, allowed

logger = logging.getLogger(__name__)

APP_LEVEL = frozenset({Op.VERSION, Op.WORKSPACES, Op.ALWAYS_REPLY, Op.UDP_REPLY_PORT, Op.PING})
"""QLab application-level requests: their replies carry no workspace id."""
MAX_ADDRESS_SHOWN = 80


def resolve(address: str) -> Request | None:
    """The request an address makes (native namespace first), or None."""
    return resolve_native(address) or resolve_qlab(address)


def salvage_address(data: bytes) -> str | None:
    """The address at the start of an undecodable packet, to address an error reply to."""
    end = data.find(b"\x00")
    if end <= 1 or data[:1] != b"/":
        return None
    try:
        text = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() and len(text) <= 256 else None


class OscDispatcher:
    """The OSC control logic, shared by the UDP and TCP transports; never raises on input."""

    def __init__(
        self,
        *,
        submit: Callable[[Command], bool],
        snapshot: Callable[[], EngineSnapshot],
        show: Callable[[], Show],
        policy: AccessPolicy,
        feedback: Feedback,
        clock: Clock,
        positive_floats: bool = False,
    ) -> None:
        self._submit = submit
        self._snapshot = snapshot
        self._show = show
        self._clock = clock
        self._positive_floats = positive_floats
        self._index: QlabShowIndex | None = None
        self.policy = policy
        self.feedback = feedback
        self.stats = InputStats()
        self.log = RateLimitedLog(logger, clock)
        self.session_ops = SessionOps(self)

    @property
    def index(self) -> QlabShowIndex:
        """The current show as QLab clients see it (rebuilt after a reload)."""
        show = self._show()
        if self._index is None or self._index.show is not show:
            self._index = QlabShowIndex(show)
        return self._index

    def now(self) -> float:
        """The runtime clock."""
        return self._clock.now()

    def snapshot(self) -> EngineSnapshot:
        """The engine's state now."""
        return self._snapshot()

    def handle_packet(self, data: bytes, session: ClientSession) -> None:
        """Act on one datagram or stream frame from `session`."""
        self.stats.packets += 1
        try:
            packet = decode_packet(data)
        except OscDecodeError as err:
            self.reject(session, "decode", f"malformed packet: {err}", salvage_address(data))
            return
        for message in _messages(packet):
            try:
                self.handle_message(message, session)
            except Exception:  # a bug here must cost one message, never the input
                self.stats.rejected["internal"] += 1
                logger.exception(
                    "OSC control failed on %s from %s", message.address, session.source
                )

    def handle_message(self, message: OscMessage, session: ClientSession) -> None:
        """Act on one message."""
        request = resolve(message.address)
        if request is None:
            self.reject(session, "unknown-address", "unknown address", message.address)
            return
        if request.workspace is not None and request.workspace not in (
            self.index.workspace_id,
            self.index.show.title,
        ):
            self.reject(session, "unknown-workspace", "no such workspace", message.address, request)
            return
        if not self._permitted(request, session):
            return
        if request.op in COMMAND_OPS:
            self._command(request, message, session)
        else:
            self.session_ops.handle(request, message, session)

    def _permitted(self, request: Request, session: ClientSession) -> bool:
        needed = (
            Role.NONE
            if request.op in OPEN_OPS
            else Role.OPERATOR
            if request.op in COMMAND_OPS
            else Role.VIEWER
        )
        if session.role >= needed:
            return True
        self.stats.rejected["denied"] += 1
        self.log.log(
            logging.WARNING,
            "OSC %s from %s denied: %s needs %s",
            request.address[:MAX_ADDRESS_SHOWN],
            session.source,
            session.role.label,
            needed.label,
        )
        answer = request.op not in COMMAND_OPS or session.always_reply
        if answer:
            self.respond(session, request, Status.DENIED, f"needs {needed.label} rights")
        return False

    def _command(self, request: Request, message: OscMessage, session: ClientSession) -> None:
        try:
            edge = edge_of(message.args, positive_floats=self._positive_floats)
        except EdgeError as err:
            self.reject(session, "bad-arguments", str(err), message.address, request)
            return
        if edge is not Edge.PRESS:
            self.stats.ignored[edge.value] += 1
            if session.always_reply:
                self.respond(session, request, Status.OK, f"{edge.value} ignored")
            return
        try:
            command = build_command(
                request,
                self.index,
                self._snapshot,
                source=session.source,
                role=session.role.label,
            )
        except RequestError as err:
            self.reject(session, "unknown-cue", str(err), message.address, request)
            return
        if not allowed(session.role, command):
            self.reject(session, "denied", "not allowed", message.address, request)
            return
        if not self._submit(command):
            self.reject(session, "busy", "engine busy: command dropped", message.address, request)
            return
        self.stats.accepted[type(command).__name__] += 1
        self.log.log(
            logging.INFO, "OSC %s from %s (%s)", message.address, session.source, session.role.label
        )
        if session.always_reply:
            self.respond(session, request, Status.OK)

    def reject(
        self,
        session: ClientSession,
        reason: str,
        detail: str,
        address: str | None,
        request: Request | None = None,
    ) -> None:
        """Count, log (rate-limited) and, where the client asked for replies, answer error."""
        self.stats.rejected[reason] += 1
        shown = (address or "?")[:MAX_ADDRESS_SHOWN]
        self.log.log(
            logging.WARNING,
            "OSC %s from %s rejected (%s): %s",
            shown,
            session.source,
            reason,
            detail,
        )
        wants_answer = session.always_reply or (
            request is not None and request.op not in COMMAND_OPS
        )
        if address is not None and wants_answer:
            status = Status.DENIED if reason == "denied" else Status.ERROR
            if request is None:
                session.send(reply(address, status, detail))
            else:
                self.respond(session, request, status, detail)

    def respond(
        self, session: ClientSession, request: Request, status: Status, data: object = None
    ) -> None:
        """Reply to `request` with the QLab envelope (workspace id where QLab would send one)."""
        workspace = (
            self.index.workspace_id if request.qlab and request.op not in APP_LEVEL else None
        )
        session.send(reply(request.address, status, data, workspace_id=workspace))


def _messages(packet: OscMessage | OscBundle) -> Iterator[OscMessage]:
    """Every message of a packet in order; bundle timetags are not waited for (act now)."""
    if isinstance(packet, OscMessage):
        yield packet
        return
    for element in packet.elements:
        yield from _messages(element)


__all__ = ["OscDispatcher", "QueryError", "resolve", "salvage_address"]
