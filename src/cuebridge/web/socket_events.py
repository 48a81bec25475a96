"""Socket.io handlers: authenticate on connect, then check, rate-limit and perform each event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import socketio

from cuebridge import __version__
from cuebridge.core.events import CommandIgnored
from cuebridge.runtime.roles import Role
from cuebridge.web.actions import PanelActions, Requester
from cuebridge.web.auth import TOKEN_COOKIE, OriginPolicy, TokenBook, peer_of
from cuebridge.web.limits import RateLimiter, RejectionLog
from cuebridge.web.outcomes import COMMAND_EVENTS, OutcomeWatch
from cuebridge.web.payloads import COMMANDS, Rejection, as_object, request_id
from cuebridge.web.push import PANEL_ROOM, StatePusher
from cuebridge.web.state import JsonDict

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Client:
    """One connected panel."""

    sid: str
    who: Requester


@dataclass(frozen=True, slots=True)
class SocketDeps:
    """What the handlers work with."""

    tokens: TokenBook
    origins: OriginPolicy
    limiter: RateLimiter
    rejections: RejectionLog
    actions: PanelActions
    watch: OutcomeWatch
    pusher: StatePusher
    clock_now: Callable[[], float]


class SocketEvents:
    """Registers the panel's socket.io events on an AsyncServer."""

    def __init__(self, sio: socketio.AsyncServer, deps: SocketDeps) -> None:
        self._sio = sio
        self._deps = deps
        self._clients: dict[str, Client] = {}
        sio.on("connect", self._connect)
        sio.on("disconnect", self._disconnect)
        sio.on("*", self._event)

    @property
    def clients(self) -> dict[str, Client]:
        """Connected, authenticated clients by socket.io sid."""
        return dict(self._clients)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        deps = self._deps
        request = environ.get("aiohttp.request")
        peer = peer_of(request) if request is not None else "unknown"
        origin = environ.get("HTTP_ORIGIN")
        address = str(request.remote) if request is not None else "unknown"
        if not deps.origins.allows(origin, environ.get("HTTP_HOST")):
            why = f"origin {origin!r:.100}"
            deps.rejections.reject(address, "forbidden", "socket.io connect", why)
            raise socketio.exceptions.ConnectionRefusedError("origin not allowed")
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) and request is not None:
            token = request.cookies.get(TOKEN_COOKIE)
        role = deps.tokens.role_of(token if isinstance(token, str) else None)
        if role is Role.NONE:
            why = "no token" if not token else "unknown token"
            deps.rejections.reject(address, "unauthorized", "socket.io connect", why)
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        who = Requester(role=role, peer=peer)
        self._clients[sid] = Client(sid=sid, who=who)
        deps.watch.watch(who.source, lambda event: self._refused(sid, event))
        await self._sio.enter_room(sid, PANEL_ROOM)
        logger.info("panel connected: %s", who.source)
        hello = {"role": role.label, "version": __version__, "server_time": deps.clock_now()}
        # Sent once the handshake completes (emits from inside this handler would precede it).
        deps.pusher.send_later("hello", hello, sid)
        deps.pusher.send_later("state", None, sid)

    async def _disconnect(self, sid: str, *_: object) -> None:
        client = self._clients.pop(sid, None)
        self._deps.limiter.forget(sid)
        self._deps.pusher.forget(sid)
        if client is not None:
            self._deps.watch.unwatch(client.who.source)
            logger.info("panel disconnected: %s", client.who.source)

    def _refused(self, sid: str, event: CommandIgnored) -> None:
        name = COMMAND_EVENTS.get(event.command, event.command)
        message = {"event": name, "code": "ignored", "message": event.detail}
        self._deps.pusher.send_later("error", message, sid)

    async def _event(self, event: str, sid: str, *args: object) -> JsonDict:
        client = self._clients.get(sid)
        payload = args[0] if args else None
        rid = request_id(payload)
        try:
            if client is None:
                raise Rejection("unauthorized", "not connected")
            if len(args) > 1:
                raise Rejection("bad-request", "send one payload object per event")
            if not self._deps.limiter.allow(sid):
                raise Rejection("rate-limited", "too many requests: slow down")
            await self._perform(event, payload, client)
        except Exception as err:
            rejection = err if isinstance(err, Rejection) else _internal(event, err)
            who = client.who.source if client is not None else sid
            self._deps.rejections.reject(who, rejection.code, repr(event)[:60], rejection.message)
            reply: JsonDict = {
                "event": event[:60],
                "code": rejection.code,
                "message": rejection.message,
            }
            if rid is not None:
                reply["id"] = rid
            await self._sio.emit("error", reply, to=sid)
            return {"ok": False, **reply}
        ack: JsonDict = {"event": event, "id": rid}
        await self._sio.emit("ack", ack, to=sid)
        return {"ok": True, **ack}

    async def _perform(self, event: str, payload: object, client: Client) -> None:
        actions = self._deps.actions
        if event == "resync":
            actions.check_role(event, client.who)
            as_object(payload)
            await self._deps.pusher.send_state(client.sid)
        elif event in COMMANDS:
            actions.submit(actions.command(event, payload, client.who))
        elif event == "fault":
            actions.fault(payload, client.who)
        elif event == "reload":
            await actions.reload(client.who)
        else:
            raise Rejection("bad-request", f"unknown event {event[:40]!r}")


def _internal(event: str, err: Exception) -> Rejection:
    """A bug met while handling `event`: logged in full, answered without details."""
    logger.error("handling %r failed", event[:60], exc_info=err)
    return Rejection("internal", "the show machine failed to handle this; see its log")
