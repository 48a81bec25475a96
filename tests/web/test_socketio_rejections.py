"""Socket.io bad input: wrong types, unknown cues and events, bad tokens, other origins, floods."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from sio_client import PanelClient

from conftest import ConnectPanel, WebDaemon
from cuebridge.runtime.roles import Role


async def rejected(client: PanelClient, event: str, payload: Any) -> dict[str, Any]:
    mark = client.mark()
    await client.emit(event, payload)
    error: dict[str, Any] = await client.wait_for("error", since=mark)
    return error


BAD_PAYLOADS = [
    ("go", "now", "bad-request"),
    ("go", ["main"], "bad-request"),
    ("go", {"list": 1}, "bad-request"),
    ("go", {"list": "nope"}, "bad-request"),
    ("go", {"cue": "1"}, "bad-request"),
    ("stop", {"cue": 3}, "bad-request"),
    ("stop", {"cue": ""}, "bad-request"),
    ("load", {}, "bad-request"),
    ("load", {"cue": None}, "bad-request"),
    ("go_cue", {"cue": {"number": "2"}}, "bad-request"),
    ("load", {"cue": "99"}, "unknown-cue"),
    ("go_cue", {"cue": "4.7"}, "unknown-cue"),
    ("pause", {"cue": "x"}, "unknown-cue"),
    ("launch_missiles", {}, "bad-request"),
    ("resync", "please", "bad-request"),
]


async def test_bad_payloads_are_rejected_with_codes_and_change_nothing(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    before = daemon.loop.snapshot()
    for event, payload, code in BAD_PAYLOADS:
        error = await rejected(operator, event, payload)
        assert (error["event"], error["code"]) == (event, code), payload
        assert error["message"]
    error = await rejected(operator, "load", {"cue": "99", "id": "req-7"})
    assert error["id"] == "req-7"
    assert "99" in error["message"]
    after = daemon.loop.snapshot()
    assert (after.lists, after.running, after.actual_starts) == (
        before.lists,
        before.running,
        before.actual_starts,
    )
    # Still served normally after all that.
    mark = operator.mark()
    await operator.emit("load", {"cue": "3", "id": "ok"})
    assert await operator.wait_for("ack", since=mark) == {"event": "load", "id": "ok"}
    await operator.wait_for("state", lambda s: s["lists"][0]["standby"] == "3", since=mark)


async def test_unknown_or_missing_tokens_are_refused(web_daemon: WebDaemon) -> None:
    _, base_url, tokens = web_daemon
    for token in ("not-a-token", None, tokens[Role.VIEWER] + "x"):
        client = PanelClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(base_url, token)
        assert client.refusal == {"message": "unauthorized"}
        assert not client.sio.connected
        await client.close()


async def test_a_cookie_token_is_accepted_like_a_browser_connects(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    client = await connect_panel(
        base_url,
        None,
        headers={"Cookie": f"cuebridge_token={tokens[Role.VIEWER]}"},
        transports=["polling", "websocket"],  # a browser's handshake; then it upgrades
    )
    assert client.received[0][1]["role"] == "viewer"


async def test_foreign_origins_are_refused_the_panels_own_is_accepted(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    port = base_url.rsplit(":", 1)[1]
    for origin in ("http://evil.example", f"http://evil.example:{port}", "null"):
        for transports in (["websocket"], ["polling"]):
            client = PanelClient()
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect(
                    base_url, tokens[Role.ADMIN], headers={"Origin": origin}, transports=transports
                )
            await client.close()
    own = await connect_panel(base_url, tokens[Role.OPERATOR], headers={"Origin": base_url})
    assert own.received[0][1]["role"] == "operator"


@pytest.mark.parametrize(
    "web_daemon", [{"options": {"extra_origins": ("http://showpc.local:9000",)}}], indirect=True
)
async def test_configured_extra_origins_are_accepted(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    client = await connect_panel(
        base_url, tokens[Role.VIEWER], headers={"Origin": "http://showpc.local:9000"}
    )
    assert client.received[0][0] == "hello"


@pytest.mark.parametrize(
    "web_daemon", [{"options": {"command_rate": 5.0, "command_burst": 10}}], indirect=True
)
async def test_a_flood_is_rate_limited_without_hurting_others(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    flooder = await connect_panel(base_url, tokens[Role.OPERATOR])
    bystander = await connect_panel(base_url, tokens[Role.OPERATOR])
    mark = flooder.mark()
    for _ in range(200):
        await flooder.emit("standby_next", {})
    await flooder.wait_for("error", lambda e: e["code"] == "rate-limited", since=mark)
    async with asyncio.timeout(5):
        while len(flooder.events("ack", mark)) + len(flooder.events("error", mark)) < 200:
            await flooder.wait_for("error", since=flooder.mark())
    acks = len(flooder.events("ack", mark))
    limited = [e for e in flooder.events("error", mark) if e["code"] == "rate-limited"]
    assert 10 <= acks <= 40  # the burst plus what refilled while the flood was sent
    assert len(limited) == 200 - acks
    # The other client is served at once and the show still runs.
    mark = bystander.mark()
    await bystander.emit("go", {"id": "b"})
    assert await bystander.wait_for("ack", since=mark) == {"event": "go", "id": "b"}
    await bystander.wait_for("state", lambda s: s["running"] != [], since=mark)
    assert daemon.loop.snapshot().running != ()
