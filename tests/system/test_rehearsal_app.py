"""The whole daemon as `cuebridge demo` wires it: simulators, web panel, OSC control, show log.

A QLab-style `/go` arrives over OSC, the simulated devices change, the HTTP API shows it, and an
injected fault on the simulated mixer is noticed by device health.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from pythonosc.osc_message_builder import OscMessageBuilder

from cuebridge import app
from cuebridge.config.showfile import load_show
from cuebridge.control.osc_server import OscControlServer
from cuebridge.runtime.roles import Role
from cuebridge.runtime.showlog import FILE_NAME as SHOWLOG_FILE

CATALOG = app.load_catalog()


async def until(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Wait for `condition` without a fixed sleep: poll every 20 ms, fail naming `what`."""
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {within} s waiting for {what}")


async def api(
    session: aiohttp.ClientSession, base: str, token: str, path: str, body: Any = None
) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        async with session.get(base + path, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()
    async with session.post(base + path, headers=headers, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def device(state: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return next(item for item in state["devices"] if item["name"] == name)


async def test_demo_in_rehearsal_from_osc_go_to_simulators_panel_and_log(tmp_path: Path) -> None:
    ready: dict[str, Any] = {}
    osc_ready = asyncio.Event()
    web_ready = asyncio.Event()

    def on_osc(server: OscControlServer) -> None:
        ready["osc_port"] = server.udp_port
        osc_ready.set()

    def on_web(base_url: str, tokens: Mapping[Role, str]) -> None:
        ready["base"], ready["tokens"] = base_url, dict(tokens)
        web_ready.set()

    options = app.RunOptions(
        show_path=app.DEMO_SHOW,
        simulate=True,
        console=False,
        web_port=0,
        osc_port=0,
        state_dir=tmp_path,
        web_on_ready=on_web,
        osc_on_ready=on_osc,
    )
    daemon = await app.assemble(load_show(app.DEMO_SHOW, CATALOG), CATALOG, options)
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(10):
            await osc_ready.wait()
            await web_ready.wait()
        base, tokens = ready["base"], ready["tokens"]
        assert set(daemon.simulators) == {"foh", "music", "lx", "media"}
        foh, lx = daemon.simulators["foh"], daemon.simulators["lx"]

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.bind(("127.0.0.1", 0))
            client.sendto(OscMessageBuilder("/go").build().dgram, ("127.0.0.1", ready["osc_port"]))
        await until(lambda: daemon.loop.snapshot().lists[0].standby == "2", "GO to fire cue 1")
        await until(
            lambda: foh.state()["buses"]["1"]["fader"] > 0, "the music bed to fade up on bus 1"
        )
        await until(lambda: lx.state()["universes"]["1"][0] > 0, "house lights up")

        async with aiohttp.ClientSession() as session:
            state = await api(session, base, tokens[Role.VIEWER], "/api/state")
            assert state["lists"][0]["standby"] == "2"
            cue_1 = next(cue for cue in state["lists"][0]["cues"] if cue["number"] == "1")
            assert cue_1["state"] in ("running", "done")
            mixer = device(state, "foh")
            assert mixer["simulated"] is True
            assert mixer["sim"]["kind"] == "mixer"
            assert mixer["status"] == "ok"

            await api(
                session, base, tokens[Role.ADMIN], "/api/devices/foh/faults", {"offline": True}
            )
            assert foh.faults.offline is True
            await until(
                lambda: daemon.status_board.get("foh").status.value == "unreachable",
                "device health to notice the mixer went offline",
                within=20,
            )
            await api(
                session, base, tokens[Role.ADMIN], "/api/devices/foh/faults", {"offline": False}
            )
            await until(
                lambda: daemon.status_board.get("foh").status.value == "ok",
                "the mixer to come back",
                within=20,
            )
    finally:
        daemon.request_stop()
        async with asyncio.timeout(10):
            await task

    with sqlite3.connect(tmp_path / SHOWLOG_FILE) as db:
        rows = db.execute("SELECT * FROM sqlite_master WHERE type = 'table'").fetchall()
        assert rows, "the show log has tables"
        dump = json.dumps(
            [list(row) for table in rows for row in db.execute(f"SELECT * FROM {table[1]}")]
        )
    assert "osc:127.0.0.1" in dump, "the OSC GO is in the show log with its source"
    assert "unreachable" in dump, "the mixer's fault is in the show log"
