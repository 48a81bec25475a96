"""The media server: Resolume layers, clips and columns, Millumin columns, disguise transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from osc_client import UdpClient, Watcher, udp_client

from cuebridge.sim.media import MediaSim


@pytest.fixture
async def media() -> AsyncIterator[MediaSim]:
    sim = MediaSim("media")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.aclose()


@pytest.fixture
async def client(media: MediaSim) -> AsyncIterator[UdpClient]:
    async with udp_client(media.port) as udp:
        yield udp


async def test_resolume_clips_act_on_the_press_and_ignore_the_release(
    media: MediaSim, client: UdpClient
) -> None:
    watcher = Watcher(media.endpoint)
    client.send("/composition/layers/2/clips/4/connect", "i", 1)
    client.send("/composition/layers/2/clips/5/connect", "i", 0)
    client.send("/composition/layers/1/video/opacity", "f", 0.25)
    client.send("/composition/layers/5/clips/1/connect", "i", 1)
    await watcher.wait(4)
    layers = media.state()["layers"]
    assert layers["2"]["clip"] == 4
    assert layers["1"] == {"clip": None, "opacity": 0.25, "bypassed": False}
    assert layers["5"]["clip"] == 1  # a layer the simulator had not seen is added
    assert watcher.heard[1].note == "release ignored"


async def test_columns_clear_and_disconnect_all(media: MediaSim, client: UdpClient) -> None:
    watcher = Watcher(media.endpoint)
    client.send("/composition/columns/3/connect", "i", 1)
    await watcher.wait(1)
    state = media.state()
    assert state["column"] == 3
    assert {layer["clip"] for layer in state["layers"].values()} == {3}
    client.send("/composition/layers/1/clear", "i", 1)
    client.send("/composition/layers/2/bypassed", "i", 1)
    client.send("/composition/master", "f", 0.5)
    await watcher.wait(4)
    layers = media.state()["layers"]
    assert (layers["1"]["clip"], layers["2"]["clip"], layers["2"]["bypassed"]) == (None, 3, True)
    assert media.state()["master"] == 0.5
    client.send("/composition/disconnectall", "i", 1)
    await watcher.wait(5)
    assert {layer["clip"] for layer in media.state()["layers"].values()} == {None}


async def test_bad_addresses_and_types_are_counted(media: MediaSim, client: UdpClient) -> None:
    watcher = Watcher(media.endpoint)
    client.send("/composition/layers/x/clear", "i", 1)
    client.send("/composition/layers/1/video/opacity", "s", "half")
    client.send("/composition/spin")
    await watcher.wait(3)
    assert media.stats()["ignored"] == {"unknown_address": 2, "bad_arguments": 1}


async def test_millumin_columns_and_layer_opacity(media: MediaSim, client: UdpClient) -> None:
    watcher = Watcher(media.endpoint)
    client.send("/action/launchColumn", "i", 2)
    client.send("/millumin/index:1/opacity", "f", 0.75)
    await watcher.wait(2)
    state = media.state()
    assert (state["column"], state["layers"]["1"]["opacity"]) == (2, 0.75)
    client.send("/action/launchNextColumn")
    client.send("/action/stopColumn")
    await watcher.wait(4)
    assert [heard.note for heard in watcher.heard][2] == "column 3 launched"
    assert media.state()["column"] is None


async def test_disguise_triggers_follow_the_lone_float_rule(
    media: MediaSim, client: UdpClient
) -> None:
    watcher = Watcher(media.endpoint)
    client.send("/d3/showcontrol/play", "f", 0.0)  # a release: no trigger
    await watcher.wait(1)
    assert media.state()["transport"]["mode"] == "stopped"
    client.send("/d3/showcontrol/play", "f", 1.0)
    client.send("/d3/showcontrol/nextsection", "i", 0)  # not a lone float: triggers
    client.send("/d3/showcontrol/nextsection")
    await watcher.wait(4)
    assert media.state()["transport"] == {"mode": "play", "section": 2, "track": 0}
    client.send("/d3/showcontrol/nexttrack")
    client.send("/d3/showcontrol/stop")
    await watcher.wait(6)
    assert media.state()["transport"] == {"mode": "stopped", "section": 0, "track": 1}
