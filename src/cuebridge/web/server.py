"""The web panel for one daemon: aiohttp app, socket.io server, pushes and the HTTP API wired up."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import socketio
from aiohttp import web

from cuebridge.runtime.daemon import Daemon
from cuebridge.web.actions import PanelActions
from cuebridge.web.auth import OriginPolicy, TokenBook
from cuebridge.web.http_api import ApiDeps, HttpApi
from cuebridge.web.limits import RateLimiter, RejectionLog
from cuebridge.web.outcomes import OutcomeWatch
from cuebridge.web.pages import Pages, security_headers
from cuebridge.web.push import StatePusher
from cuebridge.web.socket_events import SocketDeps, SocketEvents
from cuebridge.web.state import JsonDict, ShowClock, StateBuilder

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024


class WebPanel:
    """Everything the panel serves for one daemon; `run()` drives pushes until cancelled."""

    def __init__(
        self,
        daemon: Daemon,
        *,
        tokens: TokenBook,
        origins: OriginPolicy,
        static_dir: Path,
        vendor_dir: Path,
        protocol_of: Callable[[str], str],
        wall_clock: Callable[[], float],
        command_rate: float = 10.0,
        command_burst: int = 20,
        min_push_interval: float = 0.03,
        refresh_interval: float = 0.25,
        progress_interval: float = 1.0,
        tick_interval: float = 1.0,
    ) -> None:
        self.daemon = daemon
        self.tokens = tokens
        self.origins = origins
        now = daemon.clock.now
        self._started = now()
        show_clock = ShowClock()
        self.state = StateBuilder(daemon, show_clock, protocol_of, wall_clock)
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins=self._engineio_origin_allowed,
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=MAX_REQUEST_BYTES,
        )
        self.app = web.Application(
            client_max_size=MAX_REQUEST_BYTES, middlewares=[security_headers]
        )
        self.sio.attach(self.app)
        self.pusher = StatePusher(
            self.sio,
            self.state.build,
            now,
            min_interval=min_push_interval,
            refresh_interval=refresh_interval,
            progress_interval=progress_interval,
            tick_interval=tick_interval,
        )
        self.watch = OutcomeWatch()
        self.limiter = RateLimiter(command_rate, command_burst, now)
        self.rejections = RejectionLog(now)
        actions = PanelActions(daemon, self.watch, self.pusher.changed)
        self.sockets = SocketEvents(
            self.sio,
            SocketDeps(
                tokens=tokens,
                origins=origins,
                limiter=self.limiter,
                rejections=self.rejections,
                actions=actions,
                watch=self.watch,
                pusher=self.pusher,
                clock_now=now,
            ),
        )
        HttpApi(
            ApiDeps(
                tokens=tokens,
                origins=origins,
                limiter=self.limiter,
                rejections=self.rejections,
                actions=actions,
                build_state=self.state.build,
                health=self.health,
            )
        ).add_routes(self.app)
        Pages(tokens, static_dir, vendor_dir).add_routes(self.app)
        # Listeners stay attached for the daemon's life; after shutdown they only set a flag.
        daemon.loop.add_listener(show_clock)
        self.watch.attach(daemon.loop)
        daemon.loop.add_listener(self.pusher.changed)
        daemon.status_board.add_listener(self.pusher.changed)
        daemon.notices.add_listener(self.pusher.changed)

    def health(self) -> JsonDict:
        """Liveness for monitors: no secrets, no auth."""
        return {
            "status": "ok",
            "show": self.daemon.show.title,
            "uptime": self.daemon.clock.now() - self._started,
        }

    def _engineio_origin_allowed(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """Engine.io's own Origin check (every polling request and the WebSocket upgrade)."""
        if self.origins.allows(origin, environ.get("HTTP_HOST")):
            return True
        request = environ.get("aiohttp.request")
        address = str(request.remote) if request is not None else "unknown"
        self.rejections.reject(address, "forbidden", "socket.io request", f"origin {origin!r:.100}")
        return False

    async def run(self) -> None:
        """Push state until cancelled."""
        await self.pusher.run()

    async def aclose(self) -> None:
        """Disconnect every panel client (before the HTTP server closes)."""
        try:
            await self.sio.shutdown()
        except Exception:
            logger.exception("closing socket.io clients failed")
