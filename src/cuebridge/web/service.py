"""The web panel as a daemon service: options, binding, share links, clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.runtime.daemon import Daemon, Service
from cuebridge.runtime.roles import Role
from cuebridge.web.auth import OriginPolicy, TokenBook, share_links
from cuebridge.web.server import WebPanel

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parents[2]
SHUTDOWN_TIMEOUT = 2.0
"""Seconds open HTTP requests get to finish when the daemon stops."""

BIND_RETRY = 5.0
"""Seconds between attempts to bind a taken panel port."""

ReadyCallback = Callable[[str, Mapping[Role, str]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebOptions:
    """How the panel is served. Port 0 binds a free port (tests); see `on_ready`."""

    host: str = "127.0.0.1"
    port: int = 8080
    tokens: Mapping[Role, str] | None = None
    """Token per role; roles left out get a generated token (printed as a share link)."""
    extra_origins: tuple[str, ...] = ()
    """Browser origins allowed besides the panel's own, e.g. "http://showpc.local:8080"."""
    static_dir: Path = PACKAGE_DIR / "static"
    vendor_dir: Path = REPO_ROOT / "node_modules" / "socket.io-client" / "dist"
    catalog: ProfileCatalog | None = None
    """Profiles, to show each device's protocol."""
    command_rate: float = 10.0
    """Requests per second each client may send on average..."""
    command_burst: int = 20
    """...and in one burst."""
    min_push_interval: float = 0.03
    refresh_interval: float = 0.25
    """How often state no listener reports (simulators) is checked for changes."""
    progress_interval: float = 1.0
    """How often running cues' progress is pushed (panels count on locally in between)."""
    tick_interval: float = 1.0
    wall_clock: Callable[[], float] = time.time
    print_links: bool = True
    secret_roles: frozenset[Role] = frozenset()
    """Roles whose token came from the environment: their links are not printed or logged."""
    """Print the share links (with tokens) on stdout at start."""
    on_ready: ReadyCallback | None = field(default=None, compare=False)
    """Called with (base_url, tokens) once the socket is bound."""


def url_host(host: str) -> str:
    """The host to put in links: loopback for wildcard binds, brackets for IPv6."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def web_service(options: WebOptions) -> Service:
    """The service that serves the panel beside the engine until the daemon stops.

    Tokens are checked (and missing ones generated) here, so a bad configuration fails before
    the show starts, and a restarted service keeps the links already handed out.
    """
    tokens = TokenBook(options.tokens)

    async def web_panel(daemon: Daemon) -> None:
        origins = OriginPolicy(options.extra_origins)
        panel = WebPanel(
            daemon,
            tokens=tokens,
            origins=origins,
            static_dir=options.static_dir,
            vendor_dir=options.vendor_dir,
            protocol_of=_protocols(options.catalog),
            wall_clock=options.wall_clock,
            command_rate=options.command_rate,
            command_burst=options.command_burst,
            min_push_interval=options.min_push_interval,
            refresh_interval=options.refresh_interval,
            progress_interval=options.progress_interval,
            tick_interval=options.tick_interval,
        )
        runner = web.AppRunner(panel.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            await _listen(runner, options, daemon)
            port = _bound_port(runner, options.port)
            origins.bind(port)
            base_url = f"http://{url_host(options.host)}:{port}"
            _announce(base_url, tokens.tokens, options)
            if options.on_ready is not None:
                options.on_ready(base_url, tokens.tokens)
            await panel.run()
        finally:
            await panel.aclose()
            await runner.cleanup()
            logger.info("web panel stopped")

    return web_panel


async def _listen(runner: web.AppRunner, options: WebOptions, daemon: Daemon) -> None:
    """Bind the panel's socket; while that fails (port taken), say so and keep trying.

    The show must go on without its panel: the engine, console and remote inputs keep working,
    so a taken port is an operator notice, not a reason to stop the daemon.
    """
    failure = ""
    while True:
        try:
            await web.TCPSite(runner, options.host, options.port).start()
        except OSError as err:
            message = (
                f"web panel cannot listen on {options.host}:{options.port} "
                f"({err.strerror or err}); retrying every {BIND_RETRY:g} s"
            )
            if message != failure:  # posting also logs it; say it once, not every retry
                daemon.notices.post("error", message, topic="web")
                failure = message
            await asyncio.sleep(BIND_RETRY)
        else:
            if failure:
                daemon.notices.clear("web")
                logger.info("web panel listening on %s:%s at last", options.host, options.port)
            return


def _protocols(catalog: ProfileCatalog | None) -> Callable[[str], str]:
    def protocol_of(profile_id: str) -> str:
        profile = catalog.get(profile_id) if catalog is not None else None
        return "" if profile is None else str(profile.protocol)

    return protocol_of


def _bound_port(runner: web.AppRunner, wanted: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return wanted


def _announce(base_url: str, tokens: Mapping[Role, str], options: WebOptions) -> None:
    logger.info("web panel on %s (bound to %s)", base_url, options.host)
    if options.host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning(
            "the panel is reachable from the network (%s): share links only with the crew",
            options.host,
        )
    if options.print_links:
        links = share_links(base_url, tokens)
        lines = [
            f"  {role.label:<8} "
            + (
                f"(token from CUEBRIDGE_{role.name}_TOKEN)"
                if role in options.secret_roles
                else link
            )
            for role, link in links.items()
        ]
        print("cuebridge panel share links:", *lines, sep="\n", file=sys.stdout, flush=True)
