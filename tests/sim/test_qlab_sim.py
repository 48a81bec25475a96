"""The QLab-like target: passcode and rights, lockout, /thump, JSON replies, cues, updates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from osc_client import UdpClient, Watcher, reply_body, tcp_client, udp_client

from cuebridge.runtime.clock import FakeClock
from cuebridge.sim.qlab import LOCKOUT_AFTER, LOCKOUT_SECONDS, QLabSim


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def qlab(clock: FakeClock) -> AsyncIterator[QLabSim]:
    sim = QLabSim("sound", passcode="4321", rights=("view", "control"), clock=clock)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.aclose()


@pytest.fixture
async def client(qlab: QLabSim) -> AsyncIterator[UdpClient]:
    async with udp_client(qlab.port) as udp:
        yield udp


async def test_connect_with_the_passcode_grants_its_rights(
    qlab: QLabSim, client: UdpClient
) -> None:
    client.send("/connect", "s", "4321")
    reply = await client.reply()
    assert reply.address == "/reply/connect"
    assert reply_body(reply) == {
        "workspace_id": qlab.workspace.id,
        "address": "/connect",
        "status": "ok",
        "data": "ok:view|control",
    }
    assert qlab.state()["connected_clients"] == 1


async def test_wrong_passcode_is_badpass_and_commands_are_denied(
    qlab: QLabSim, client: UdpClient
) -> None:
    client.send("/connect", "s", "1234")
    assert reply_body(await client.reply())["data"] == "badpass"
    client.send("/connect")
    assert reply_body(await client.reply())["data"] == "denied"
    client.send("/go")
    denied = await client.reply()
    assert denied.address == "/reply/go"
    assert reply_body(denied)["status"] == "denied"
    assert qlab.state()["running"] == []
    assert qlab.stats()["ignored"] == {"denied": 1}


async def test_repeated_bad_passcodes_lock_the_host_out(
    qlab: QLabSim, client: UdpClient, clock: FakeClock
) -> None:
    for _ in range(LOCKOUT_AFTER):
        client.send("/connect", "s", "0000")
        assert reply_body(await client.reply())["data"] == "badpass"
    watcher = Watcher(qlab.endpoint)
    client.send("/connect", "s", "4321")  # even the right passcode is ignored now
    await watcher.wait(1)
    assert watcher.heard[0].reason == "locked_out"
    clock.advance(LOCKOUT_SECONDS)
    client.send("/connect", "s", "4321")
    assert reply_body(await client.reply())["data"] == "ok:view|control"
    assert client.pending() == []


async def test_thump_answers_without_rights_unless_probes_are_ignored(
    qlab: QLabSim, client: UdpClient
) -> None:
    client.send("/thump")
    reply = await client.reply()
    assert reply.address == "/reply/thump"
    assert reply_body(reply)["data"] == "thump"
    qlab.faults.ignore_probes = True
    client.send("/thump")
    client.send("/version")
    assert (await client.reply()).address == "/reply/version"


async def test_actions_reply_only_after_always_reply(qlab: QLabSim, client: UdpClient) -> None:
    client.send("/connect", "s", "4321")
    await client.reply()
    client.send("/go")
    client.send("/alwaysReply", "i", 1)
    client.send("/go")
    reply = await client.reply()
    assert reply.address == "/reply/go"
    assert reply_body(reply) == {
        "workspace_id": qlab.workspace.id,
        "address": "/go",
        "status": "ok",
    }
    state = qlab.state()
    assert (state["playhead"], state["running"]) == ("3", ["1", "2"])


async def test_cues_start_stop_pause_and_the_playhead(qlab: QLabSim, client: UdpClient) -> None:
    client.send("/connect", "s", "4321")
    await client.reply()
    watcher = Watcher(qlab.endpoint)
    client.send("/cue/W1/start")
    client.send("/cue/2/start")
    client.send("/cue/2/pause")
    client.send("/playhead/5")
    await watcher.wait(4)
    state = qlab.state()
    assert (state["running"], state["paused"], state["playhead"]) == (["W1"], ["2"], "5")
    assert state["cues"][-1] == "W1"  # a cue the simulator had not seen is added
    client.send("/cue/W1/stop")
    client.send("/resume")
    await watcher.wait(6)
    assert (qlab.state()["running"], qlab.state()["paused"]) == (["2"], [])
    client.send("/panic")
    client.send("/runningCues")
    reply = await client.reply()
    assert reply_body(reply)["data"] == []
    client.send(f"/workspace/{qlab.workspace.id}/cue/5/isRunning")
    reply = await client.reply()
    assert reply.address == f"/reply/workspace/{qlab.workspace.id}/cue/5/isRunning"
    assert reply_body(reply)["data"] is False


async def test_view_only_clients_cannot_act() -> None:
    sim = QLabSim("sound", passcode="v", rights=("view",))
    await sim.start()
    try:
        async with udp_client(sim.port) as client:
            client.send("/connect", "s", "v")
            assert reply_body(await client.reply())["data"] == "ok:view"
            client.send("/cue/1/start")
            assert reply_body(await client.reply())["status"] == "denied"
            client.send("/cueLists")
            lists = reply_body(await client.reply())["data"]
            assert [cue["number"] for cue in lists[0]["cues"]][:3] == ["1", "2", "3"]
    finally:
        await sim.aclose()


async def test_without_a_passcode_everyone_may_act_over_tcp_slip() -> None:
    sim = QLabSim("sound")
    await sim.start()
    try:
        async with tcp_client(sim.port, "slip") as client:
            client.send("/connect")
            assert reply_body(await client.reply())["data"] == "ok:view|edit|control"
            client.send("/updates", "i", 1)
            client.send("/go")
            update = await client.reply()
            assert update.address.startswith(f"/update/workspace/{sim.workspace.id}")
            assert sim.state()["running"] == ["1"]
            assert sim.state()["connected_clients"] == 1
        async with udp_client(sim.port) as other:
            other.send("/thump")  # the TCP client is forgotten once it hangs up
            await other.reply()
            assert sim.state()["connected_clients"] == 0
    finally:
        await sim.aclose()


async def test_udp_reply_port_redirects_answers(qlab: QLabSim, client: UdpClient) -> None:
    async with udp_client(qlab.port) as listener:
        client.send("/udpReplyPort", "i", listener.port)
        client.send("/thump")
        assert (await listener.reply()).address == "/reply/thump"


async def test_unknown_addresses_and_other_workspaces_are_ignored(
    qlab: QLabSim, client: UdpClient
) -> None:
    client.send("/connect", "s", "4321")
    await client.reply()
    client.send("/alwaysReply", "s", "YES")
    client.send("/fly")
    assert reply_body(await client.reply())["status"] == "error"
    watcher = Watcher(qlab.endpoint)
    client.send("/workspace/0000/go")
    await watcher.wait(1)
    assert qlab.stats()["ignored"] == {"unknown_address": 1, "unknown_workspace": 1}
