"""The Eos-like console: ping, cue fire and GO, cue feedback to subscribers, macros and subs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from osc_client import UdpClient, Watcher, tcp_client, udp_client

from cuebridge.sim.eos import EosSim


@pytest.fixture
async def console() -> AsyncIterator[EosSim]:
    sim = EosSim("lx")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.aclose()


@pytest.fixture
async def client(console: EosSim) -> AsyncIterator[UdpClient]:
    async with udp_client(console.port) as udp:
        yield udp


async def test_ping_is_echoed_with_its_arguments(console: EosSim, client: UdpClient) -> None:
    client.send("/eos/ping", "si", "probe", 7)
    reply = await client.reply()
    assert (reply.address, reply.type_tags, reply.values) == ("/eos/out/ping", "si", ("probe", 7))
    client.send("/eos/ping")
    assert (await client.reply()).values == ()


async def test_ignore_probes_silences_ping_only(console: EosSim, client: UdpClient) -> None:
    console.faults.ignore_probes = True
    client.send("/eos/ping")
    client.send("/eos/get/version")
    reply = await client.reply()
    assert (reply.address, reply.values) == ("/eos/out/get/version", ("3.2.10",))


async def test_cue_fire_and_go_move_active_and_pending(console: EosSim, client: UdpClient) -> None:
    watcher = Watcher(console.endpoint)
    client.send("/eos/cue/2/12.5/fire")
    await watcher.wait(1)
    state = console.state()
    assert (state["list"], state["active_cue"], state["pending_cue"]) == (2, "12.5", "13")
    client.send("/eos/key/go_0", "f", 1.0)
    client.send("/eos/key/go_0", "f", 0.0)  # the release does nothing
    await watcher.wait(3)
    state = console.state()
    assert (state["active_cue"], state["pending_cue"], state["previous_cue"]) == (
        "13",
        "14",
        "2/12.5",
    )
    assert [heard.note for heard in watcher.heard][2] == "key go_0 released"


async def test_a_cue_without_a_list_fires_in_list_one(console: EosSim, client: UdpClient) -> None:
    watcher = Watcher(console.endpoint)
    client.send("/eos/cue/7/fire")
    client.send("/eos/cue/1/abc/fire")
    await watcher.wait(2)
    assert (console.state()["list"], console.state()["active_cue"]) == (1, "7")
    assert console.stats()["ignored"] == {"unknown_address": 1}


async def test_tcp_clients_hear_the_active_and_pending_cue(
    console: EosSim, client: UdpClient
) -> None:
    async with tcp_client(console.port) as desk_app:
        desk_app.send("/eos/ping")  # proves the connection is registered before the fire
        await desk_app.reply_to("/eos/out/ping")
        client.send("/eos/cue/1/5/fire")
        active = await desk_app.reply_to("/eos/out/active/cue/1/5")
        assert active.values == (1.0,)
        assert (await desk_app.reply()).values == ("1/5 100%",)
        assert (await desk_app.reply()).address == "/eos/out/pending/cue/1/6"
        assert (await desk_app.reply()).values == ("1/6",)
    assert client.pending() == []  # the UDP sender did not subscribe


async def test_udp_clients_subscribe_and_reset(console: EosSim, client: UdpClient) -> None:
    client.send("/eos/subscribe", "i", 1)
    assert (await client.reply()).address == "/eos/out/pending/cue/1/1"
    await client.reply()
    client.send("/eos/key/go_0", "f", 1.0)
    assert (await client.reply_to("/eos/out/active/cue/1/1")).values == (1.0,)
    client.send("/eos/subscribe", "i", 0)
    client.send("/eos/reset")  # reset subscribes again and re-sends everything
    assert (await client.reply_to("/eos/out/active/cue/1/1")).values == (1.0,)
    assert console.state()["subscribers"] == 1


async def test_macros_subs_channels_user_and_command_line(
    console: EosSim, client: UdpClient
) -> None:
    watcher = Watcher(console.endpoint)
    client.send("/eos/macro/fire", "i", 12)
    client.send("/eos/sub/3", "f", 0.75)
    client.send("/eos/chan/101", "f", 50.0)
    client.send("/eos/user", "i", 2)
    client.send("/eos/newcmd", "s", "Chan 1 ")
    client.send("/eos/cmd", "s", "At 75#")
    client.send("/eos/macro/fire", "f", 1.0)  # Eos takes macro numbers as ints
    await watcher.wait(7)
    state = console.state()
    assert state["last_macro"] == 12
    assert state["subs"] == {"3": 0.75}
    assert state["chans"] == {"101": 50.0}
    assert state["user"] == 2
    assert state["cmd"] == "Chan 1 At 75#"
    assert console.stats()["ignored"] == {"bad_arguments": 1}
