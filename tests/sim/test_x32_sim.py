"""The X32-like mixer: info probes, GET/SET, dB view, scenes and /xremote pushes with expiry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from osc_client import UdpClient, Watcher, udp_client

from cuebridge.render.scales import x32_fader
from cuebridge.runtime.clock import FakeClock
from cuebridge.sim.x32 import XREMOTE_LIFETIME, X32Sim, x32_fader_db


@pytest.fixture
async def clock() -> FakeClock:
    return FakeClock(100.0)


@pytest.fixture
async def desk(clock: FakeClock) -> AsyncIterator[X32Sim]:
    sim = X32Sim("foh", clock=clock)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.aclose()


@pytest.fixture
async def client(desk: X32Sim) -> AsyncIterator[UdpClient]:
    async with udp_client(desk.port) as udp:
        yield udp


async def test_xinfo_info_and_status_answer_like_the_desk(desk: X32Sim, client: UdpClient) -> None:
    client.send("/xinfo")
    xinfo = await client.reply()
    assert (xinfo.address, xinfo.type_tags) == ("/xinfo", "ssss")
    assert xinfo.values == ("127.0.0.1", "foh", "X32", "4.06")
    client.send("/info")
    info = await client.reply()
    assert (info.address, info.type_tags) == ("/info", "ssss")
    assert info.values[2] == "X32"
    client.send("/status")
    status = await client.reply()
    assert status.values == ("active", "127.0.0.1", "osc-server")


async def test_set_then_query_returns_the_value_with_its_type(
    desk: X32Sim, client: UdpClient
) -> None:
    client.send("/ch/01/mix/fader", "f", 0.75)
    client.send("/ch/01/mix/fader")
    reply = await client.reply()
    assert (reply.address, reply.type_tags, reply.values) == ("/ch/01/mix/fader", "f", (0.75,))
    channel = desk.state()["channels"]["1"]
    assert channel["fader"] == 0.75
    assert channel["db"] == 0.0


async def test_mutes_names_buses_dcas_and_main(desk: X32Sim, client: UdpClient) -> None:
    watcher = Watcher(desk.endpoint)
    client.send("/ch/03/mix/on", "i", 0)
    client.send("/ch/03/config/name", "s", "Handheld Q&A mic")
    client.send("/bus/01/mix/fader", "f", 0.5)
    client.send("/dca/2/fader", "f", 0.25)
    client.send("/main/st/mix/on", "i", 0)
    await watcher.wait(5)
    state = desk.state()
    assert state["channels"]["3"]["on"] is False
    assert state["channels"]["3"]["name"] == "Handheld Q&A"  # the desk keeps 12 characters
    assert state["buses"]["1"]["db"] == -10.0
    assert state["dcas"]["2"]["db"] == -30.0
    assert state["main"]["on"] is False
    assert state["channels"]["1"]["on"] is True
    assert [heard.note for heard in watcher.heard][:2] == ["ch 3 muted", 'ch 3 name "Handheld Q&A"']


async def test_wrong_types_and_unknown_addresses_are_ignored_and_counted(
    desk: X32Sim, client: UdpClient
) -> None:
    watcher = Watcher(desk.endpoint)
    client.send("/ch/01/mix/fader", "i", 1)
    client.send("/ch/1/mix/fader", "f", 0.5)  # the desk's channel numbers have two digits
    client.send("/ch/33/mix/fader", "f", 0.5)
    client.send("/-action/goscene", "i", 100)
    await watcher.wait(4)
    stats = desk.stats()
    assert stats["ignored"] == {"bad_arguments": 1, "unknown_address": 2, "out_of_range": 1}
    assert desk.state()["channels"]["1"]["fader"] == 0.0
    assert desk.state()["scene"] is None


async def test_fader_values_are_clamped_to_the_travel(desk: X32Sim, client: UdpClient) -> None:
    watcher = Watcher(desk.endpoint)
    client.send("/ch/02/mix/fader", "f", 1.5)
    client.send("/ch/04/mix/fader", "f", -0.5)
    await watcher.wait(2)
    channels = desk.state()["channels"]
    assert (channels["2"]["fader"], channels["2"]["db"]) == (1.0, 10.0)
    assert (channels["4"]["fader"], channels["4"]["db"]) == (0.0, -90.0)


async def test_scene_recall_sets_the_current_scene(desk: X32Sim, client: UdpClient) -> None:
    client.send("/-action/goscene", "i", 7)
    client.send("/-show/prepos/current")
    reply = await client.reply()
    assert reply.values == (7,)
    assert desk.state()["scene"] == 7


async def test_xremote_pushes_changes_to_other_clients_for_ten_seconds(
    desk: X32Sim, client: UdpClient, clock: FakeClock
) -> None:
    async with udp_client(desk.port) as listener:
        listener.send("/xremote")
        listener.send("/xinfo")  # its answer proves /xremote was taken in
        await listener.reply_to("/xinfo")
        assert desk.state()["xremote_clients"] == 1
        client.send("/ch/05/mix/fader", "f", 0.5)
        pushed = await listener.reply()
        assert (pushed.address, pushed.values) == ("/ch/05/mix/fader", (0.5,))

        clock.advance(XREMOTE_LIFETIME - 0.1)
        client.send("/ch/05/mix/on", "i", 0)
        assert (await listener.reply()).address == "/ch/05/mix/on"

        clock.advance(0.1)  # 10 s after the last renewal: expired
        client.send("/ch/05/mix/on", "i", 1)
        client.send("/xinfo")
        await client.reply_to("/xinfo")  # the change was handled before this answer
        listener.send("/xinfo")
        assert (await listener.reply()).address == "/xinfo"  # no push came first
        assert desk.state()["xremote_clients"] == 0

        listener.send("/xremote")  # renewing brings the pushes back
        listener.send("/xinfo")
        await listener.reply_to("/xinfo")
        client.send("/ch/05/mix/fader", "f", 0.75)
        pushed = await listener.reply()
        assert (pushed.address, pushed.values) == ("/ch/05/mix/fader", (0.75,))


async def test_the_client_that_made_a_change_does_not_hear_it_back(
    desk: X32Sim, client: UdpClient
) -> None:
    client.send("/xremote")
    client.send("/ch/06/mix/fader", "f", 0.5)
    client.send("/xinfo")
    assert (await client.reply()).address == "/xinfo"
    assert client.pending() == []


def test_db_view_inverts_the_profile_scale() -> None:
    for db in (-90.0, -75.0, -60.0, -45.5, -30.0, -20.0, -10.0, -3.0, 0.0, 4.5, 10.0):
        assert x32_fader_db(x32_fader(db)) == pytest.approx(db, abs=1e-9)
    assert x32_fader_db(0.75) == 0.0
    assert x32_fader_db(0.0) == -90.0
