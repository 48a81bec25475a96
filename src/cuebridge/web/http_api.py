"""The HTTP API beside the panel: health, state, operator commands, faults, reload, login."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from cuebridge.runtime.roles import Role
from cuebridge.web.actions import PanelActions, Requester
from cuebridge.web.auth import TOKEN_COOKIE, OriginPolicy, TokenBook, peer_of, token_from
from cuebridge.web.limits import RateLimiter, RejectionLog
from cuebridge.web.payloads import COMMANDS, Rejection
from cuebridge.web.state import JsonDict

logger = logging.getLogger(__name__)

HTTP_STATUS = {
    "bad-request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "unknown-cue": 404,
    "unknown-device": 404,
    "ignored": 409,
    "reload-failed": 422,
    "rate-limited": 429,
    "internal": 500,
    "unsupported": 501,
}


@dataclass(frozen=True, slots=True)
class ApiDeps:
    """What the HTTP handlers work with."""

    tokens: TokenBook
    origins: OriginPolicy
    limiter: RateLimiter
    rejections: RejectionLog
    actions: PanelActions
    build_state: Callable[[], JsonDict]
    health: Callable[[], JsonDict]


def error_response(rejection: Rejection) -> web.Response:
    """The JSON error body and status for a refused request."""
    body = {"ok": False, "code": rejection.code, "message": rejection.message}
    return web.json_response(body, status=HTTP_STATUS.get(rejection.code, 400))


Handler = Callable[[web.Request, Requester], Awaitable[web.Response]]
RouteHandler = Callable[[web.Request], Awaitable[web.Response]]


class HttpApi:
    """Registers `/api/*` routes; every route but health checks Origin, token and role."""

    def __init__(self, deps: ApiDeps) -> None:
        self._deps = deps

    def add_routes(self, app: web.Application) -> None:
        """Register every API route on `app`."""
        app.router.add_get("/api/health", self._health)
        app.router.add_post("/api/login", self._login)
        app.router.add_post("/api/logout", self._logout)
        app.router.add_get("/api/state", self._guarded(Role.VIEWER, self._state))
        for event in COMMANDS:
            app.router.add_post(f"/api/{event}", self._guarded(Role.OPERATOR, self._command))
        app.router.add_post("/api/devices/{name}/faults", self._guarded(Role.ADMIN, self._fault))
        app.router.add_post("/api/reload", self._guarded(Role.ADMIN, self._reload))

    def requester(self, request: web.Request) -> Requester:
        """Authenticate a request (Origin, then bearer token or cookie); raise a Rejection."""
        deps = self._deps
        peer = peer_of(request)
        if not deps.origins.allows(request.headers.get("Origin"), request.host):
            raise Rejection("forbidden", "requests from this page's origin are not allowed")
        token = token_from(request.headers.get("Authorization"), request.cookies.get(TOKEN_COOKIE))
        role = deps.tokens.role_of(token)
        if role is Role.NONE:
            # Failed attempts spend from a per-address bucket: guessing tokens gets slow.
            if not deps.limiter.allow(f"http-auth:{request.remote}"):
                raise Rejection("rate-limited", "too many failed attempts: slow down")
            raise Rejection("unauthorized", "a valid token is required")
        return Requester(role=role, peer=peer)

    def _guarded(self, role: Role, handler: Handler) -> RouteHandler:
        async def guarded(request: web.Request) -> web.Response:
            what = f"{request.method} {request.path}"
            who = str(request.remote)
            try:
                requester = self.requester(request)
                who = requester.source
                if request.method != "GET" and not self._deps.limiter.allow(
                    f"http:{requester.role.label}@{request.remote}"
                ):
                    raise Rejection("rate-limited", "too many requests: slow down")
                if requester.role < role:
                    raise Rejection("forbidden", f"{what} needs the {role.label} role")
                return await handler(request, requester)
            except Exception as err:
                rejection = err if isinstance(err, Rejection) else _internal(what, err)
                self._deps.rejections.reject(who, rejection.code, what, rejection.message)
                return error_response(rejection)

        return guarded

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(self._deps.health())

    async def _state(self, request: web.Request, who: Requester) -> web.Response:
        return web.json_response(self._deps.build_state())

    async def _command(self, request: web.Request, who: Requester) -> web.Response:
        event = request.path.removeprefix("/api/")
        actions = self._deps.actions
        command = actions.command(event, await _json_body(request), who)
        refusal = await actions.submit_and_confirm(command)
        if refusal is not None:
            raise Rejection("ignored", refusal.detail)
        return web.json_response({"ok": True})

    async def _fault(self, request: web.Request, who: Requester) -> web.Response:
        payload = await _json_body(request)
        self._deps.actions.fault(payload, who, device=request.match_info["name"])
        return web.json_response({"ok": True})

    async def _reload(self, request: web.Request, who: Requester) -> web.Response:
        message = await self._deps.actions.reload(who)
        return web.json_response({"ok": True, "message": message})

    async def _login(self, request: web.Request) -> web.Response:
        deps = self._deps
        what = "POST /api/login"
        try:
            if not deps.origins.allows(request.headers.get("Origin"), request.host):
                raise Rejection("forbidden", "requests from this page's origin are not allowed")
            if not deps.limiter.allow(f"http-auth:{request.remote}"):
                raise Rejection("rate-limited", "too many login attempts: slow down")
            payload = await _json_body(request)
            token = payload.get("token") if isinstance(payload, dict) else None
            if not isinstance(token, str):
                raise Rejection("bad-request", 'send {"token": "..."}')
            role = deps.tokens.role_of(token)
            if role is Role.NONE:
                raise Rejection("unauthorized", "unknown token")
        except Rejection as rejection:
            deps.rejections.reject(str(request.remote), rejection.code, what, rejection.message)
            return error_response(rejection)
        logger.info("panel login as %s from %s", role.label, peer_of(request))
        response = web.json_response({"role": role.label})
        set_token_cookie(response, token)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        response = web.json_response({"ok": True})
        response.del_cookie(TOKEN_COOKIE, path="/")
        return response


def set_token_cookie(response: web.StreamResponse, token: str) -> None:
    """The login cookie: not readable by scripts, never sent by other sites."""
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict", path="/")


def _internal(what: str, err: Exception) -> Rejection:
    """A bug met while handling a request: logged in full, answered without details."""
    logger.error("%s failed", what, exc_info=err)
    return Rejection("internal", "the show machine failed to handle this; see its log")


async def _json_body(request: web.Request) -> object:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise Rejection("bad-request", f"the body is not valid JSON: {err}") from err
