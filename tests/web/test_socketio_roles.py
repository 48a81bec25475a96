"""Socket.io roles: viewers follow, operators fire, admins inject faults; the server enforces it."""

from __future__ import annotations

import pytest
from sio_client import cue_state

from conftest import ConnectPanel, WebDaemon
from cuebridge.core.snapshot import CueState
from cuebridge.runtime.reload import ReloadResult
from cuebridge.runtime.roles import Role
from cuebridge.sim.base import Faults, JsonDict


async def test_hello_names_the_role_then_a_full_state_follows(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN):
        client = await connect_panel(base_url, tokens[role])
        assert client.received[0][0] == "hello"
        hello = client.received[0][1]
        assert hello["role"] == role.label
        assert isinstance(hello["version"], str)
        assert isinstance(hello["server_time"], float)
        state = client.events("state")[0]
        assert state["show"]["title"] == daemon.show.title
        assert state["lists"][0]["standby"] == "1"


async def test_a_viewer_cannot_fire_and_nothing_happens(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    viewer = await connect_panel(base_url, tokens[Role.VIEWER])
    for event, payload in [("go", {"id": "v1"}), ("panic", {}), ("load", {"cue": "3"})]:
        mark = viewer.mark()
        await viewer.emit(event, payload)
        error = await viewer.wait_for("error", since=mark)
        assert error["code"] == "forbidden"
        assert error["event"] == event
    assert error["message"]
    assert viewer.events("ack") == []
    snapshot = daemon.loop.snapshot()
    assert snapshot.running == ()
    assert snapshot.lists[0].standby == "1"


async def test_an_operators_go_fires_the_cue_and_a_viewer_sees_it(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    viewer = await connect_panel(base_url, tokens[Role.VIEWER])
    mark_op, mark_view = operator.mark(), viewer.mark()
    await operator.emit("go", {"id": "g1"})
    assert await operator.wait_for("ack", since=mark_op) == {"event": "go", "id": "g1"}
    state = await viewer.wait_for(
        "state", lambda s: cue_state(s, "1") == "running", since=mark_view
    )
    assert state["lists"][0]["standby"] == "2"
    assert state["show_clock"] is not None
    assert state["running"][0]["number"] == "1"
    assert state["lists"][0]["cues"][0]["actual_start"] is not None
    snapshot = daemon.loop.snapshot()
    assert "1" in snapshot.actual_starts
    assert snapshot.cue_states["1"] in (CueState.RUNNING, CueState.POST_WAIT, CueState.DONE)


async def test_an_engine_refusal_comes_back_to_the_sender_only(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    first = await connect_panel(base_url, tokens[Role.OPERATOR])
    second = await connect_panel(base_url, tokens[Role.OPERATOR])
    mark_first, mark_second = first.mark(), second.mark()
    await first.emit("go", {})
    await first.emit("go", {})  # inside the demo's 0.3 s double-GO guard
    refusal = await first.wait_for("error", since=mark_first)
    assert refusal["code"] == "ignored"
    assert refusal["event"] == "go"
    assert "locked out" in refusal["message"]
    await second.emit("resync", {})
    await second.wait_for("state", since=mark_second + 1)
    assert second.events("error", since=mark_second) == []


class FakeSimulator:
    """The smallest SimulatedDevice: fault switches and a state."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kind = "osc"
        self.port = 0
        self.faults = Faults()
        self.closed = False

    async def start(self) -> None:
        pass

    async def aclose(self) -> None:
        self.closed = True

    def state(self) -> JsonDict:
        return {"kind": "osc", "last": ["/hello 1"]}

    def stats(self) -> JsonDict:
        return {}


WITH_SIM = {"simulators": lambda: {"music": FakeSimulator("music")}}


@pytest.mark.parametrize("web_daemon", [WITH_SIM], indirect=True)
async def test_only_an_admin_injects_faults(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    sim = daemon.simulators["music"]
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    admin = await connect_panel(base_url, tokens[Role.ADMIN])
    mark = operator.mark()
    await operator.emit("fault", {"device": "music", "offline": True})
    assert (await operator.wait_for("error", since=mark))["code"] == "forbidden"
    assert sim.faults.offline is False
    mark = admin.mark()
    await admin.emit("fault", {"device": "music", "offline": True, "drop_rate": 0.5, "id": "f"})
    assert await admin.wait_for("ack", since=mark) == {"event": "fault", "id": "f"}
    assert sim.faults == Faults(offline=True, drop_rate=0.5)
    state = await operator.wait_for(
        "state", lambda s: any(d["faults"] and d["faults"]["offline"] for d in s["devices"])
    )
    music = next(d for d in state["devices"] if d["name"] == "music")
    assert music["simulated"] is True
    assert music["sim"] == {"kind": "osc", "last": ["/hello 1"]}
    assert music["protocol"] == "osc"
    mark = admin.mark()
    await admin.emit("fault", {"device": "nope", "offline": True})
    assert (await admin.wait_for("error", since=mark))["code"] == "unknown-device"
    mark = admin.mark()
    await admin.emit("fault", {"device": "music", "drop_rate": 2})
    assert (await admin.wait_for("error", since=mark))["code"] == "bad-request"
    assert sim.faults.drop_rate == 0.5


async def test_reload_is_admin_only_and_unsupported_without_a_reloader(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    operator = await connect_panel(base_url, tokens[Role.OPERATOR])
    admin = await connect_panel(base_url, tokens[Role.ADMIN])
    mark = operator.mark()
    await operator.emit("reload", {})
    assert (await operator.wait_for("error", since=mark))["code"] == "forbidden"
    mark = admin.mark()
    await admin.emit("reload", {})
    assert (await admin.wait_for("error", since=mark))["code"] == "unsupported"


async def test_reload_calls_the_daemons_reloader(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    daemon, base_url, tokens = web_daemon
    results = [
        ReloadResult(ok=False, message="line 3: bad cue"),
        ReloadResult(ok=True, message="show file reloaded (12 top-level cues)"),
    ]

    async def reload() -> ReloadResult:
        return results.pop(0)

    daemon.reload = reload  # what the hot-reload service installs
    admin = await connect_panel(base_url, tokens[Role.ADMIN])
    mark = admin.mark()
    await admin.emit("reload", {})
    error = await admin.wait_for("error", since=mark)
    assert error == {"event": "reload", "code": "reload-failed", "message": "line 3: bad cue"}
    mark = admin.mark()
    await admin.emit("reload", {"id": "again"})
    assert await admin.wait_for("ack", since=mark) == {"event": "reload", "id": "again"}
    assert results == []


class BrokenSimulator(FakeSimulator):
    """A simulator with bugs: its state and its fault switches raise."""

    @property
    def faults(self) -> Faults:
        raise RuntimeError("simulator bug")

    @faults.setter
    def faults(self, value: Faults) -> None:
        pass

    def state(self) -> JsonDict:
        raise RuntimeError("simulator bug")


@pytest.mark.parametrize(
    "web_daemon", [{"simulators": lambda: {"music": BrokenSimulator("music")}}], indirect=True
)
async def test_a_broken_simulator_costs_its_own_panel_entry_and_nothing_more(
    web_daemon: WebDaemon, connect_panel: ConnectPanel
) -> None:
    _, base_url, tokens = web_daemon
    admin = await connect_panel(base_url, tokens[Role.ADMIN])
    mark = admin.mark()
    await admin.emit("fault", {"device": "music", "offline": True, "id": "x"})
    error = await admin.wait_for("error", since=mark)
    assert (error["code"], error["id"]) == ("internal", "x")
    await admin.emit("go", {})
    state = await admin.wait_for("state", lambda s: s["running"] != [], since=mark)
    music = next(d for d in state["devices"] if d["name"] == "music")
    assert music["sim"] == {"error": "state unavailable: simulator bug"}
