"""SacnReceiverSim: merge, priority, loss, termination, sequence, sync, against `sacn` packets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sacn
from sacn.messages.sync_packet import SyncPacket

from cuebridge.core.dmx_patch import Attribute, DmxPatch, Fixture, FixtureType, Unit
from cuebridge.protocols.sacn import build_data_packet
from cuebridge.runtime.clock import FakeClock
from cuebridge.sim.sacn_receiver import SacnReceiverSim

A = bytes(range(0x10, 0x20))
B = bytes(range(0x20, 0x30))
WITHIN = 2.0  # generous: loopback delivery on a loaded machine


def data(
    cid: bytes,
    levels: list[int],
    sequence: int,
    *,
    universe: int = 1,
    priority: int = 100,
    **options: Any,
) -> bytes:
    """A data packet built by the `sacn` package (the oracle)."""
    packet = sacn.DataPacket(
        tuple(cid), f"source-{cid[0]:x}", universe, tuple(levels), priority, sequence, **options
    )
    return bytes(packet.getBytes())


class Sender(asyncio.DatagramProtocol):
    """A loopback socket that sends packets to the simulator and waits for it to take them."""

    def __init__(self, sim: SacnReceiverSim) -> None:
        self.sim = sim
        self.transport: asyncio.DatagramTransport | None = None
        self.sent = 0

    async def send(self, *packets: bytes) -> dict[str, Any]:
        assert self.transport is not None
        for packet in packets:
            self.transport.sendto(packet, ("127.0.0.1", self.sim.port))
        self.sent += len(packets)
        async with asyncio.timeout(WITHIN):
            return await self.sim.until(lambda _: self.taken() >= self.sent)

    def taken(self) -> int:
        stats = self.sim.stats()
        faulted = stats["faults"]
        return int(stats["packets"]) + faulted.get("offline", 0) + faulted.get("dropped", 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(100.0)


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[SacnReceiverSim]:
    receiver = SacnReceiverSim("lx", clock=clock, patch=PATCH, seed=1)
    await receiver.start()
    yield receiver
    await receiver.aclose()


@pytest.fixture
async def sender(sim: SacnReceiverSim) -> AsyncIterator[Sender]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: Sender(sim), local_addr=("127.0.0.1", 0)
    )
    protocol.transport = transport
    yield protocol
    transport.close()


def levels(state: dict[str, Any], universe: int = 1, count: int = 4) -> list[int]:
    return list(state["universes"][str(universe)][:count])


RGB = FixtureType(
    id="rgb",
    name="RGB",
    attributes={n: Attribute(name=n, channel=i, panic=True) for i, n in
                enumerate(("red", "green", "blue"), 1)},
    footprint=3,
)  # fmt: skip
MOVER = FixtureType(
    id="mover",
    name="Mover",
    attributes={
        "pan": Attribute(name="pan", channel=1, fine=2),
        "intensity": Attribute(name="intensity", channel=3, panic=True),
    },
    footprint=3,
)
PATCH = DmxPatch(
    {
        "cyc": Fixture(name="cyc", type=RGB, universe=2, address=41),
        "spot": Fixture(name="spot", type=MOVER, universe=2, address=101),
    }
)


async def test_equal_priorities_merge_highest_takes_precedence(
    sim: SacnReceiverSim, sender: Sender
) -> None:
    await sender.send(data(A, [100, 0, 50, 7], 1), data(B, [0, 200, 50, 3], 1))
    state = sim.state()
    assert levels(state) == [100, 200, 50, 7]
    assert [(s["name"], s["priority"], s["universes"]) for s in state["sources"]] == [
        ("source-10", 100, [1]),
        ("source-20", 100, [1]),
    ]
    assert state["sources"][0]["cid"] == "10111213-1415-1617-1819-1a1b1c1d1e1f"
    await sender.send(data(A, [0, 0, 0, 0], 2))  # A goes dark: B's levels remain
    assert levels(sim.state()) == [0, 200, 50, 3]


async def test_highest_priority_wins_and_a_lost_source_hands_over(
    sim: SacnReceiverSim, sender: Sender, clock: FakeClock
) -> None:
    await sender.send(data(A, [10], 1, priority=150), data(B, [200], 1, priority=100))
    assert levels(sim.state(), count=1) == [10]
    clock.advance(2.0)
    await sender.send(data(B, [201], 2, priority=100))  # only B keeps sending
    assert levels(sim.state(), count=1) == [10]  # A is 2.0 s old: still live
    clock.advance(0.6)
    state = sim.state()  # A is 2.6 s old: lost, B takes over
    assert levels(state, count=1) == [201]
    assert [s["name"] for s in state["sources"]] == ["source-20"]
    assert sim.stats()["losses"] == 1
    clock.advance(2.6)
    sim.expire()
    assert sim.state()["universes"]["1"] == [0] * 512  # no source left: dark
    assert sim.state()["sources"] == []


async def test_hold_last_look_keeps_the_levels_of_a_lost_universe(clock: FakeClock) -> None:
    sim = SacnReceiverSim("lx", clock=clock, hold_last_look=True)
    await sim.start()
    try:
        loop = asyncio.get_running_loop()
        transport, sender = await loop.create_datagram_endpoint(
            lambda: Sender(sim), local_addr=("127.0.0.1", 0)
        )
        sender.transport = transport
        try:
            await sender.send(data(A, [77], 1))
            clock.advance(3.0)
            assert levels(sim.state(), count=1) == [77]
            assert sim.state()["sources"] == []
        finally:
            transport.close()
    finally:
        await sim.aclose()


async def test_stream_termination_drops_the_source_at_once(
    sim: SacnReceiverSim, sender: Sender
) -> None:
    await sender.send(data(A, [100, 0], 1), data(B, [0, 50], 1))
    await sender.send(data(A, [255, 255], 2, streamTerminated=True))
    state = sim.state()
    assert levels(state, count=2) == [0, 50]  # the terminated packet's slots are ignored
    assert [s["name"] for s in state["sources"]] == ["source-20"]
    await sender.send(*(data(A, [255, 255], seq, streamTerminated=True) for seq in (3, 4)))
    stats = sim.stats()
    assert (stats["terminations"], stats["ignored"]) == (1, {"after-termination": 2})
    await sender.send(data(A, [9, 9], 5))  # the source may come back
    assert levels(sim.state(), count=2) == [9, 50]


async def test_sequence_numbers_discard_late_packets_and_wrap(
    sim: SacnReceiverSim, sender: Sender
) -> None:
    await sender.send(data(A, [1], 5))
    await sender.send(data(A, [2], 250))  # 250 - 5 is -11 as signed 8-bit: late, discarded
    await sender.send(data(A, [3], 5))  # a repeat: discarded
    await sender.send(data(A, [4], 4))  # older: discarded
    assert levels(sim.state(), count=1) == [1]
    assert sim.stats()["ignored"] == {"sequence": 3}
    await sender.send(data(A, [5], 100), data(A, [5], 200), data(A, [5], 255))
    await sender.send(data(A, [6], 0))  # forwards, across the wrap
    assert levels(sim.state(), count=1) == [6]
    await sender.send(data(A, [7], 237))  # 0 - 19: still inside the window
    assert levels(sim.state(), count=1) == [6]
    await sender.send(data(A, [8], 236))  # 0 - 20: outside it, taken as a new run
    assert levels(sim.state(), count=1) == [8]
    await sender.send(data(B, [9], 0))  # each source has its own sequence
    assert levels(sim.state(), count=1) == [9]


async def test_preview_other_start_codes_and_malformed_packets_are_ignored(
    sim: SacnReceiverSim, sender: Sender
) -> None:
    await sender.send(data(A, [10], 1))
    await sender.send(data(A, [99], 2, previewData=True))
    await sender.send(data(A, [99], 3, dmxStartCode=0xDD))
    good = data(A, [11], 4)
    await sender.send(good[:100], b"\x00" * 700, good[:16] + b"\x72\x00" + good[18:])
    discovery = sacn.UniverseDiscoveryPacket(tuple(A), "source-10", (1, 2))
    await sender.send(bytes(discovery.getBytes()))
    assert levels(sim.state(), count=1) == [10]
    stats = sim.stats()
    assert stats["ignored"] == {"preview": 1, "start-code": 1, "malformed": 3}
    assert stats["discovery"] == 1
    assert any("root layer length" in text for text in stats["last_ignored"])
    await sender.send(good)  # the 0xDD packet advanced the sequence, preview did not matter
    assert levels(sim.state(), count=1) == [11]


async def test_short_packets_are_legal(sim: SacnReceiverSim, sender: Sender) -> None:
    await sender.send(build_data_packet(A, "short", 1, bytes([1, 2, 3]), 1))
    state = sim.state()
    assert levels(state) == [1, 2, 3, 0]
    assert len(state["universes"]["1"]) == 512


async def test_universe_sync_holds_data_until_the_sync_packet(
    sim: SacnReceiverSim, sender: Sender, clock: FakeClock
) -> None:
    await sender.send(data(A, [1], 1, sync_universe=7))  # no sync seen yet: applied
    assert levels(sim.state(), count=1) == [1]
    await sender.send(bytes(SyncPacket(tuple(A), 7, 1).getBytes()))
    await sender.send(data(A, [2], 2, sync_universe=7))
    assert levels(sim.state(), count=1) == [1]  # held
    await sender.send(bytes(SyncPacket(tuple(A), 7, 2).getBytes()))
    assert levels(sim.state(), count=1) == [2]
    assert sim.stats()["syncs"] == 2
    clock.advance(2.0)
    await sender.send(data(A, [3], 3, sync_universe=7))  # keeps the source alive
    clock.advance(1.0)  # sync lost: without force-sync the look stays frozen...
    await sender.send(data(A, [4], 4, sync_universe=7))
    assert levels(sim.state(), count=1) == [2]
    await sender.send(data(A, [5], 5, sync_universe=7, forceSync=True))  # ...with it, it runs
    assert levels(sim.state(), count=1) == [5]


async def test_fixture_view_in_the_patch_unit(sim: SacnReceiverSim, sender: Sender) -> None:
    slots = [0] * 512
    slots[40:43] = [255, 128, 0]
    slots[100:103] = [0x80, 0x00, 255]
    await sender.send(data(A, slots, 1, universe=2))
    fixtures = sim.state()["fixtures"]
    assert fixtures["cyc"] == {
        "type": "rgb",
        "universe": 2,
        "address": 41,
        "values": {"red": 100.0, "green": 50.2, "blue": 0.0},
        "colour": "#ff8000",
    }
    assert fixtures["spot"]["values"] == {"pan": 50.0, "intensity": 100.0}
    assert fixtures["spot"]["colour"] is None
    dmx = SacnReceiverSim("lx", patch=DmxPatch(PATCH.fixtures, Unit.DMX))
    assert dmx.state()["fixtures"]["spot"]["values"] == {"pan": 0.0, "intensity": 0}
    json.dumps(sim.state())
    json.dumps(sim.stats())


async def test_faults_offline_drop_and_delay(
    sim: SacnReceiverSim, sender: Sender, clock: FakeClock
) -> None:
    await sender.send(data(A, [1], 1))
    sim.faults.offline = True
    await sender.send(data(A, [2], 2))
    clock.advance(2.6)
    assert sim.state()["sources"] == []  # unplugged: the source timed out
    sim.faults.offline = False
    sim.faults.drop_rate = 1.0
    await sender.send(data(A, [3], 3), data(A, [4], 4))
    assert sim.stats()["faults"] == {"offline": 1, "dropped": 2}
    assert levels(sim.state(), count=1) == [0]
    sim.faults.drop_rate = 0.0
    sim.faults.delay = 0.05
    state = await sender.send(data(A, [5], 5))  # taken in late
    assert sim.stats()["faults"]["delayed"] == 1
    assert levels(state, count=1) == [5]
    assert state["sources"][0]["name"] == "source-10"
    with pytest.raises(ValueError, match="drop_rate"):
        sim.faults.drop_rate = 2.0


async def test_lifecycle_and_identity(clock: FakeClock) -> None:
    sim = SacnReceiverSim("lx", clock=clock)
    assert (sim.name, sim.kind, sim.port, sim.transports) == ("lx", "sacn", 0, ("udp",))
    assert sim.state() == {"kind": "sacn", "universes": {}, "fixtures": {}, "sources": []}
    await sim.start()
    assert sim.port != 0
    with pytest.raises(RuntimeError, match="already started"):
        await sim.start()
    await sim.aclose()
    await sim.aclose()
    with pytest.raises(ValueError, match="port"):
        SacnReceiverSim("lx", port=70000)
