"""HTTP API: health, state, commands with bearer tokens, roles, errors, login, pages, headers."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import WebDaemon
from cuebridge.core.commands import Command, Go, LoadCue, Stop
from cuebridge.core.engine import Outcome
from cuebridge.core.events import CommandIgnored, Event, IgnoredReason, StandbyChanged
from cuebridge.core.model import Cue, CueList, Show
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.roles import Role
from cuebridge.sim.base import Faults, JsonDict
from cuebridge.web import service
from cuebridge.web.http_api import HTTP_STATUS
from cuebridge.web.outcomes import OutcomeWatch
from cuebridge.web.payloads import COMMANDS

TIMEOUT = aiohttp.ClientTimeout(total=10)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        yield session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    data: str | None = None,
) -> tuple[int, Any]:
    all_headers = {**(bearer(token) if token else {}), **(headers or {})}
    async with http.request(
        method, url, json=body, data=data, headers=all_headers, allow_redirects=False
    ) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_health_needs_no_token(web_daemon: WebDaemon, http: aiohttp.ClientSession) -> None:
    daemon, base_url, _ = web_daemon
    status, body = await call(http, "GET", f"{base_url}/api/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["show"] == daemon.show.title
    assert isinstance(body["uptime"], float)


async def test_state_needs_a_valid_token(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, tokens = web_daemon
    assert (await call(http, "GET", f"{base_url}/api/state"))[0] == 401
    status, body = await call(http, "GET", f"{base_url}/api/state", token="guess")
    assert (status, body["code"]) == (401, "unauthorized")
    status, body = await call(http, "GET", f"{base_url}/api/state", token=tokens[Role.VIEWER])
    assert status == 200
    assert body["lists"][0]["standby"] == "1"
    cookie = {"Cookie": f"cuebridge_token={tokens[Role.VIEWER]}"}
    assert (await call(http, "GET", f"{base_url}/api/state", headers=cookie))[0] == 200


async def test_go_fires_for_an_operator_and_is_forbidden_for_a_viewer(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    daemon, base_url, tokens = web_daemon
    status, body = await call(http, "POST", f"{base_url}/api/go", token=tokens[Role.VIEWER])
    assert (status, body["code"]) == (403, "forbidden")
    assert daemon.loop.snapshot().actual_starts == {}
    status, body = await call(http, "POST", f"{base_url}/api/go", token=tokens[Role.OPERATOR])
    assert (status, body) == (200, {"ok": True})
    assert "1" in daemon.loop.snapshot().actual_starts
    # A second GO inside the demo's 0.3 s guard is refused by the engine, and says so.
    status, body = await call(http, "POST", f"{base_url}/api/go", token=tokens[Role.ADMIN])
    assert (status, body["code"]) == (409, "ignored")
    assert "locked out" in body["message"]
    status, body = await call(http, "GET", f"{base_url}/api/state", token=tokens[Role.VIEWER])
    assert body["lists"][0]["standby"] == "2"


async def test_command_payloads_are_validated(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    daemon, base_url, tokens = web_daemon
    op = tokens[Role.OPERATOR]
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("load", {"body": {"cue": "99"}}, 404, "unknown-cue"),
        ("load", {"body": {}}, 400, "bad-request"),
        ("go", {"body": {"list": 7}}, 400, "bad-request"),
        ("go", {"body": ["main"]}, 400, "bad-request"),
        ("go", {"data": "{not json"}, 400, "bad-request"),
        ("go", {"data": "[" * 5000 + "]" * 5000}, 400, "bad-request"),
    ]
    for event, kwargs, status, code in cases:
        got_status, body = await call(http, "POST", f"{base_url}/api/{event}", token=op, **kwargs)
        assert (got_status, body["code"]) == (status, code), (event, kwargs)
    status, body = await call(http, "POST", f"{base_url}/api/load", token=op, body={"cue": "5"})
    assert (status, body) == (200, {"ok": True})
    assert daemon.loop.snapshot().lists[0].standby == "5"
    assert (await call(http, "POST", f"{base_url}/api/nothing", token=op))[0] in (404, 405)


async def test_browser_requests_from_other_origins_are_refused(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    daemon, base_url, tokens = web_daemon
    evil = {"Origin": "http://evil.example"}
    status, body = await call(
        http, "POST", f"{base_url}/api/go", token=tokens[Role.OPERATOR], headers=evil
    )
    assert (status, body["code"]) == (403, "forbidden")
    assert daemon.loop.snapshot().actual_starts == {}
    own = {"Origin": base_url}
    status, _ = await call(
        http, "POST", f"{base_url}/api/go", token=tokens[Role.OPERATOR], headers=own
    )
    assert status == 200


@pytest.mark.parametrize(
    "web_daemon", [{"options": {"command_rate": 1.0, "command_burst": 3}}], indirect=True
)
async def test_a_flood_of_commands_gets_429(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, tokens = web_daemon
    statuses = [
        (await call(http, "POST", f"{base_url}/api/standby_next", token=tokens[Role.OPERATOR]))[0]
        for _ in range(6)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    # Reads and other roles are not held up.
    assert (await call(http, "GET", f"{base_url}/api/state", token=tokens[Role.OPERATOR]))[0] == 200
    status, _ = await call(http, "POST", f"{base_url}/api/standby_next", token=tokens[Role.ADMIN])
    assert status == 200


class FakeSimulator:
    def __init__(self) -> None:
        self.name, self.kind, self.port = "media", "media", 0
        self.faults = Faults()

    async def start(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    def state(self) -> JsonDict:
        return {"kind": "media", "layers": {}, "column": None}

    def stats(self) -> JsonDict:
        return {}


@pytest.mark.parametrize(
    "web_daemon", [{"simulators": lambda: {"media": FakeSimulator()}}], indirect=True
)
async def test_faults_are_admin_only(web_daemon: WebDaemon, http: aiohttp.ClientSession) -> None:
    daemon, base_url, tokens = web_daemon
    url = f"{base_url}/api/devices/media/faults"
    status, _ = await call(http, "POST", url, token=tokens[Role.OPERATOR], body={"offline": True})
    assert status == 403
    status, body = await call(http, "POST", url, token=tokens[Role.ADMIN], body={"delay": 0.5})
    assert (status, body) == (200, {"ok": True})
    assert daemon.simulators["media"].faults == Faults(delay=0.5)
    status, body = await call(
        http, "POST", f"{base_url}/api/devices/foh/faults", token=tokens[Role.ADMIN], body={}
    )
    assert (status, body["code"]) == (404, "unknown-device")
    status, body = await call(http, "POST", url, token=tokens[Role.ADMIN], body={"offline": "yes"})
    assert (status, body["code"]) == (400, "bad-request")


async def test_reload_without_a_reloader_is_unsupported(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, tokens = web_daemon
    assert (await call(http, "POST", f"{base_url}/api/reload", token=tokens[Role.OPERATOR]))[
        0
    ] == 403
    status, body = await call(http, "POST", f"{base_url}/api/reload", token=tokens[Role.ADMIN])
    assert (status, body["code"]) == (501, "unsupported")


async def test_login_sets_a_strict_http_only_cookie(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, tokens = web_daemon
    status, body = await call(http, "POST", f"{base_url}/api/login", body={"token": "nope"})
    assert (status, body["code"]) == (401, "unauthorized")
    async with http.post(
        f"{base_url}/api/login", json={"token": tokens[Role.OPERATOR]}
    ) as response:
        assert response.status == 200
        assert await response.json() == {"role": "operator"}
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"cuebridge_token={tokens[Role.OPERATOR]};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    async with http.post(f"{base_url}/api/logout") as response:
        assert 'cuebridge_token=""' in response.headers["Set-Cookie"]


async def test_pages_redirect_by_role(web_daemon: WebDaemon, http: aiohttp.ClientSession) -> None:
    _, base_url, tokens = web_daemon

    async def location(path: str, token: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": f"cuebridge_token={token}"} if token else {}
        async with http.get(base_url + path, headers=headers, allow_redirects=False) as response:
            return response.status, response.headers.get("Location", "")

    assert await location("/") == (302, "/login")
    assert await location("/operator") == (302, "/login")
    assert await location("/", tokens[Role.OPERATOR]) == (302, "/operator")
    assert await location("/", tokens[Role.VIEWER]) == (302, "/viewer")
    assert await location("/operator", tokens[Role.VIEWER]) == (302, "/viewer")
    assert (await location("/devices", tokens[Role.VIEWER]))[0] == 200
    async with http.get(
        f"{base_url}/login", params={"token": tokens[Role.ADMIN]}, allow_redirects=False
    ) as response:
        assert (response.status, response.headers["Location"]) == (302, "/")
        assert f"cuebridge_token={tokens[Role.ADMIN]}" in response.headers["Set-Cookie"]
    async with http.get(f"{base_url}/login", params={"token": "bad"}) as response:
        assert response.status == 200
        assert "Set-Cookie" not in response.headers


async def test_the_socket_io_client_and_static_files_are_served_locally(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, _ = web_daemon
    async with http.get(f"{base_url}/vendor/socket.io.min.js") as response:
        assert response.status == 200
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "io" in await response.text()
    async with http.get(f"{base_url}/vendor/other.js") as response:
        assert response.status == 404
    async with http.get(f"{base_url}/static/panel.js") as response:
        assert response.status == 200
    async with http.get(f"{base_url}/static/../auth.py") as response:
        assert response.status in (403, 404)
    async with http.get(f"{base_url}/static/%2e%2e/auth.py") as response:
        assert response.status in (403, 404)


@pytest.mark.parametrize(
    "web_daemon", [{"options": {"vendor_dir": Path("/nonexistent/dist")}}], indirect=True
)
async def test_a_missing_socket_io_client_is_a_clear_503(
    web_daemon: WebDaemon, http: aiohttp.ClientSession
) -> None:
    _, base_url, _ = web_daemon
    async with http.get(f"{base_url}/vendor/socket.io.min.js") as response:
        assert response.status == 503
        assert "npm ci" in await response.text()


DOC = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"


def test_the_api_document_lists_every_error_code_and_command() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = {
        code: int(status)
        for status, code in re.findall(r"^\| (\d{3}) \| `([a-z-]+)` \|", text, re.M)
    }
    assert documented == HTTP_STATUS
    commands = set(re.findall(r"^\| `/api/([a-z_]+)` \|", text, re.M))
    assert commands == set(COMMANDS)


class BareLoop:
    """An engine loop that reports outcomes only (no per-command listener)."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[Outcome], None]] = []
        self.submitted: list[Command] = []

    def add_listener(self, listener: Callable[[Outcome], None]) -> None:
        self.listeners.append(listener)

    def submit(self, command: Command) -> bool:
        self.submitted.append(command)
        return True

    def publish(self, *events: Event) -> None:
        for listener in self.listeners:
            listener(Outcome(events=list(events)))


class CommandLoop(BareLoop):
    """An engine loop that also reports each handled command with its outcome."""

    def __init__(self) -> None:
        super().__init__()
        self.command_listeners: list[Callable[[Command, Outcome], None]] = []

    def add_command_listener(self, listener: Callable[[Command, Outcome], None]) -> None:
        self.command_listeners.append(listener)

    def handle(self, command: Command, *events: Event) -> None:
        self.publish(*events)
        for listener in self.command_listeners:
            listener(command, Outcome(events=list(events)))


def refused(command: str, source: str) -> CommandIgnored:
    return CommandIgnored(
        at=1.0, command=command, reason=IgnoredReason.LOCKED_OUT, detail="locked", source=source
    )


async def test_verdicts_are_inferred_from_events_without_a_command_listener() -> None:
    loop, watch = BareLoop(), OutcomeWatch()
    watch.attach(loop)  # type: ignore[arg-type]  # a stand-in with the same methods
    go = Go(source="web:operator@1.2.3.4:5")
    pending = asyncio.create_task(watch.submit_and_confirm(go, loop.submit, 5))
    await asyncio.sleep(0)
    loop.publish(refused("Go", "web:operator@other:1"))  # someone else's refusal
    loop.publish(refused("Go", go.source))
    assert await pending == (True, refused("Go", go.source))
    load = LoadCue(number="3", source=go.source)
    pending = asyncio.create_task(watch.submit_and_confirm(load, loop.submit, 5))
    await asyncio.sleep(0)
    loop.publish(StandbyChanged(at=2.0, cue_list="main", number="3"))
    assert await pending == (True, None)
    quiet = Stop(source=go.source)
    assert await watch.submit_and_confirm(quiet, loop.submit, 0.01) == (True, None)


async def test_verdicts_are_exact_with_a_command_listener() -> None:
    loop, watch = CommandLoop(), OutcomeWatch()
    watch.attach(loop)  # type: ignore[arg-type]
    first, second = Go(source="web:operator@a:1"), Go(source="web:operator@a:1")
    pending = asyncio.create_task(watch.submit_and_confirm(second, loop.submit, 5))
    await asyncio.sleep(0)
    loop.handle(first, refused("Go", first.source))  # same source, earlier command: not ours
    assert not pending.done()
    loop.handle(second)
    assert await pending == (True, None)
    full = OutcomeWatch()
    assert await full.submit_and_confirm(first, lambda command: False, 5) == (False, None)


async def test_a_taken_port_is_a_notice_and_the_show_runs_until_it_frees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "BIND_RETRY", 0.05)
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    bound: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    options = service.WebOptions(
        port=port, print_links=False, on_ready=lambda url, tokens: bound.set_result(url)
    )
    show = Show(title="t", cue_lists=(CueList(id="main", name="Main", cues=(Cue(number="1"),)),))
    daemon = Daemon(show, {}, MonotonicClock(), (service.web_service(options),))
    noticed, fired = asyncio.Event(), asyncio.Event()
    daemon.notices.add_listener(lambda notice: noticed.set())
    daemon.loop.add_listener(lambda outcome: fired.set())
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(10):
            await noticed.wait()
            assert "cannot listen" in daemon.notices.items()[0].message
            daemon.loop.submit(Go(source="test"))
            await fired.wait()
            assert "1" in daemon.loop.snapshot().actual_starts
            squatter.close()
            assert await bound == f"http://127.0.0.1:{port}"
            assert daemon.notices.items() == ()
    finally:
        squatter.close()
        daemon.request_stop()
        async with asyncio.timeout(10):
            await task
