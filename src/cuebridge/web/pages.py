"""Serves the panel's pages, static files and the vendored socket.io client; sets safe headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from cuebridge.runtime.roles import Role
from cuebridge.web.auth import TOKEN_COOKIE, TokenBook
from cuebridge.web.http_api import set_token_cookie

logger = logging.getLogger(__name__)

VENDOR_FILES = ("socket.io.min.js", "socket.io.min.js.map")
VIEWS = {"operator": Role.OPERATOR, "viewer": Role.VIEWER, "devices": Role.VIEWER}
"""Each view page and the least role that may open it."""

SECURITY_HEADERS = {
    # The GO button must never be framed by another page (clickjacking).
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # Login links carry tokens in the query: never leak them through a Referer.
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Add the panel's protective headers; API answers are never cached."""
    response = await handler(request)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
    return response


class Pages:
    """The HTML views (role-gated by the login cookie), /static and /vendor."""

    def __init__(self, tokens: TokenBook, static_dir: Path, vendor_dir: Path) -> None:
        self._tokens = tokens
        self._static_dir = static_dir
        self._vendor_dir = vendor_dir

    def add_routes(self, app: web.Application) -> None:
        """Register the page routes on `app`."""
        app.router.add_get("/", self._root)
        app.router.add_get("/login", self._login)
        for view in VIEWS:
            app.router.add_get(f"/{view}", self._view)
        app.router.add_get("/vendor/{name}", self._vendor)
        if self._static_dir.is_dir():
            app.router.add_static("/static", self._static_dir, follow_symlinks=False)
        else:
            logger.error("panel static files missing: %s does not exist", self._static_dir)

    def _role(self, request: web.Request) -> Role:
        return self._tokens.role_of(request.cookies.get(TOKEN_COOKIE))

    def _page(self, name: str) -> web.StreamResponse:
        path = self._static_dir / f"{name}.html"
        if not path.is_file():
            logger.error("panel page missing: %s", path)
            return web.Response(status=503, text=f"The panel page {name}.html is not installed.")
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    async def _root(self, request: web.Request) -> web.StreamResponse:
        role = self._role(request)
        if role is Role.NONE:
            raise web.HTTPFound("/login")
        raise web.HTTPFound("/operator" if role >= Role.OPERATOR else "/viewer")

    async def _login(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("token")
        if token and self._tokens.role_of(token) is not Role.NONE:
            response = web.HTTPFound("/")
            set_token_cookie(response, token)
            raise response
        return self._page("login")

    async def _view(self, request: web.Request) -> web.StreamResponse:
        view = request.path.strip("/")
        role = self._role(request)
        if role is Role.NONE:
            raise web.HTTPFound("/login")
        if role < VIEWS[view]:
            raise web.HTTPFound("/viewer")
        return self._page(view)

    async def _vendor(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in VENDOR_FILES:
            raise web.HTTPNotFound()
        path = self._vendor_dir / name
        if not path.is_file():
            logger.error("socket.io client missing at %s: run `npm ci` in the repository", path)
            return web.Response(
                status=503,
                text="The socket.io browser client is not installed on this machine. "
                "Run `npm ci` in the cuebridge repository, then reload this page.",
            )
        return web.FileResponse(path)
