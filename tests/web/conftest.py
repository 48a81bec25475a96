"""Shared web fixture: a daemon running the demo show with the web panel on 127.0.0.1, port 0.

`web_daemon` yields `(daemon, base_url, tokens)`. Customise it with indirect parametrization:

    @pytest.mark.parametrize("web_daemon", [{"show": YAML_TEXT, "options": {...}}], indirect=True)

Keys: `show` (a path or YAML text; default the demo `keynote.yaml`), `options` (extra `WebOptions`
fields), `simulators` (a callable returning {name: SimulatedDevice}; started here, closed by the
daemon).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from sio_client import PanelClient

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.showfile import load_show, load_show_text
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.drivers.base import DeviceStatus, OutputDriver
from cuebridge.drivers.logging_output import LoggingOutput
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.roles import Role
from cuebridge.web.service import WebOptions, web_service

DEMO_SHOW = Path(__file__).resolve().parents[2] / "show_files" / "keynote.yaml"

WebDaemon = tuple[Daemon, str, dict[Role, str]]


@functools.cache
def _catalog() -> ProfileCatalog:
    return ProfileCatalog.load(default_profile_dirs())


@pytest.fixture
async def web_daemon(request: pytest.FixtureRequest) -> AsyncIterator[WebDaemon]:
    """A running daemon (logging outputs, no network) with the web service on a free port."""
    params: Mapping[str, Any] = getattr(request, "param", None) or {}
    catalog = _catalog()
    source = params.get("show", DEMO_SHOW)
    if isinstance(source, str) and "\n" in source:
        show = load_show_text(source, "web-test.yaml", catalog)
    else:
        show = load_show(Path(source), catalog)
    drivers: dict[str, OutputDriver] = {
        name: LoggingOutput(name, device.profile)
        for name, device in show.devices.items()
        if name != CONTROL_DEVICE
    }
    simulators = dict(params["simulators"]()) if "simulators" in params else {}
    for sim in simulators.values():
        await sim.start()
    bound: asyncio.Future[tuple[str, dict[Role, str]]] = asyncio.get_running_loop().create_future()

    def on_ready(base_url: str, tokens: Mapping[Role, str]) -> None:
        if not bound.done():
            bound.set_result((base_url, dict(tokens)))

    options = WebOptions(port=0, catalog=catalog, on_ready=on_ready, **params.get("options", {}))
    daemon = Daemon(show, drivers, MonotonicClock(), (web_service(options),), simulators=simulators)
    for name in drivers:
        daemon.status_board.report(name, DeviceStatus.LOGGING, "test output")
    task = asyncio.create_task(daemon.run())
    try:
        waiting: set[asyncio.Future[Any]] = {bound, task}
        await asyncio.wait(waiting, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the daemon died while starting: raise its error here
        base_url, tokens = bound.result()
        yield daemon, base_url, tokens
    finally:
        daemon.request_stop()
        async with asyncio.timeout(10):
            await task


ConnectPanel = Callable[..., Awaitable[PanelClient]]
"""`await connect_panel(base_url, token, **PanelClient.connect options)`: a connected client."""


@pytest.fixture
async def connect_panel() -> AsyncIterator[ConnectPanel]:
    """Connects panel clients, each once its first full state arrived; closes them after."""
    made: list[PanelClient] = []

    async def connect(base_url: str, token: str | None, **options: Any) -> PanelClient:
        client = PanelClient()
        made.append(client)
        await client.connect(base_url, token, **options)
        await client.wait_for("state")
        return client

    yield connect
    for client in made:
        await client.close()
