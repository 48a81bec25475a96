"""Socket.io state flow: full state on connect and resync, coalesced pushes, ticks, reconnects."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sio_client import cue_state

from conftest import ConnectPanel, WebDaemon
from cuebridge.runtime.roles import Role

CUE_FIELDS = {
    "number": str,
    "name": str,
    "notes": str,
    "depth": int,
    "armed": bool,
    "state": str,
    "duration": float,
    "pre_wait": float,
    "post_wait": float,
    "continue": str,
}


def check_contract_shape(state: dict[str, Any]) -> None:
    assert set(state) >= {
        "show", "server_time", "wall_time", "show_clock", "go_locked_for", "panic", "lists",
        "running", "schedule", "devices", "notices",
    }  # fmt: skip
    assert isinstance(state["server_time"], float)
    assert isinstance(state["wall_time"], str)
    assert isinstance(state["go_locked_for"], float | int)
    assert isinstance(state["panic"], bool)
    assert set(state["schedule"]) == {"delta"}
    for cue_list in state["lists"]:
        assert {"id", "name", "standby", "next", "cues"} <= set(cue_list)
        for cue in cue_list["cues"]:
            for name, kind in CUE_FIELDS.items():
                assert isinstance(cue[name], kind | int if kind is float else kind), (name, cue)
            assert cue["state"] in {
                "idle", "standby", "pre-wait", "running", "post-wait", "paused", "done",
                "stopped", "skipped",
            }  # fmt: skip
            assert {"colour", "parent", "planned_start", "actual_start"} <= set(cue)
    for device in state["devices"]:
        assert {
            "name",
            "profile",
            "protocol",
            "status",
            "detail",
            "simulated",
            "faults",
            "sim",
        } <= (set(device))


async def test_state_has_the_contract_shape_and_flattens_groups(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    viewer = await connect_panel(base_url, tokens[Role.VIEWER])
    state = viewer.events("state")[0]
    check_contract_shape(state)
    cues = {cue["number"]: cue for cue in state["lists"][0]["cues"]}
    assert (cues["1"]["depth"], cues["1"]["parent"]) == (0, None)
    assert (cues["1.3"]["depth"], cues["1.3"]["parent"]) == (1, "1")
    assert cues["1"]["state"] == "standby"
    assert cues["2"]["state"] == "idle"
    assert cues["1"]["planned_start"] == "08:30:00"
    assert cues["1"]["colour"] == "green"
    assert cues["3"]["continue"] == "auto-follow"
    assert cues["3.5"]["pre_wait"] == 40.0
    names = [device["name"] for device in state["devices"]]
    assert names == ["foh", "music", "lx", "media"]
    foh = state["devices"][0]
    assert (foh["profile"], foh["protocol"], foh["status"]) == ("behringer-x32", "osc", "logging")
    assert state["show_clock"] is None
    assert state["schedule"]["delta"] is None


async def test_resync_and_reconnect_restore_the_full_state(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    stage = await connect_panel(base_url, tokens[Role.VIEWER])
    await stage.close()
    # While the stage manager's tablet is away, the show moves on.
    mark = operator.mark()
    await operator.emit("load", {"cue": "4"})
    await operator.emit("go", {})
    await operator.wait_for("state", lambda s: cue_state(s, "4") == "running", since=mark)
    back = await connect_panel(base_url, tokens[Role.VIEWER])
    first = back.events("state")[0]
    assert cue_state(first, "4") in ("running", "post-wait", "done")
    assert first["lists"][0]["standby"] == daemon.loop.snapshot().lists[0].standby
    assert first["show_clock"] is not None
    mark = back.mark()
    await back.emit("resync", {"id": "r"})
    again = await back.wait_for("state", since=mark)
    assert await back.wait_for("ack", since=mark) == {"event": "resync", "id": "r"}
    assert again["lists"] == first["lists"] or again["server_time"] > first["server_time"]
    check_contract_shape(again)


async def test_bursts_of_changes_are_coalesced_and_the_last_state_wins(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    watcher = await connect_panel(base_url, tokens[Role.VIEWER])
    mark = watcher.mark()
    for _ in range(8):
        await operator.emit("standby_next", {})
    final = daemon.show.cue_lists[0].cues[8].number
    await watcher.wait_for("state", lambda s: s["lists"][0]["standby"] == final, since=mark)
    await asyncio.sleep(0.1)  # nothing more may follow the final standby
    states = watcher.events("state", since=mark)
    assert states[-1]["lists"][0]["standby"] == final
    times = [state["server_time"] for state in states]
    assert all(b - a >= 0.029 for a, b in itertools.pairwise(times)), times


@pytest.mark.parametrize("web_daemon", [{"options": {"tick_interval": 0.1}}], indirect=True)
async def test_ticks_carry_the_server_clock(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    viewer = await connect_panel(base_url, tokens[Role.VIEWER])
    mark = viewer.mark()
    first = await viewer.wait_for("tick", since=mark)
    second = await viewer.wait_for("tick", lambda t: t != first, since=mark)
    assert 0.05 < second["server_time"] - first["server_time"] < 2.0
    assert abs(daemon.clock.now() - second["server_time"]) < 2.0


async def test_a_new_notice_is_pushed(web_daemon: WebDaemon, connect_panel: ConnectPanel) -> None:
    daemon, base_url, tokens = web_daemon
    viewer = await connect_panel(base_url, tokens[Role.VIEWER])
    mark = viewer.mark()
    daemon.notices.post("error", "show file edit rejected: line 4", topic="reload")
    state = await viewer.wait_for("state", lambda s: s["notices"] != [], since=mark)
    assert state["notices"] == [
        {
            "level": "error",
            "message": "show file edit rejected: line 4",
            "topic": "reload",
            "at": daemon.notices.items()[0].at,
        }
    ]
