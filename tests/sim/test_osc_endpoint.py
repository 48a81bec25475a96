"""The shared simulator endpoint: strict decoding, bundles, TCP framing, history and faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from osc_client import LOOPBACK, UdpClient, Watcher, tcp_client, udp_client

from cuebridge.errors import DeviceError
from cuebridge.protocols.framing import length_prefix_encode, slip_encode
from cuebridge.protocols.osc import OscBundle, encode_packet, osc_message
from cuebridge.sim.eos import EosSim
from cuebridge.sim.faults import WatchedFaults, apply_faults, parse_fault
from cuebridge.sim.generic_osc import GenericOscSim
from cuebridge.sim.x32 import X32Sim


@pytest.fixture
async def desk() -> AsyncIterator[X32Sim]:
    sim = X32Sim("desk")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.aclose()


@pytest.fixture
async def client(desk: X32Sim) -> AsyncIterator[UdpClient]:
    async with udp_client(desk.port) as udp:
        yield udp


MALFORMED = {
    "bad_size": b"/ab",
    "not_osc": b"GET / HTTP/1.1\r\n\r\n\x00\x00",
    "truncated": b"/xinfo\x00\x00,f\x00\x00",
    "bad_padding": b"/a\x00\x01,\x00\x00\x00",
    "bad_type_tags": b"/xinfo\x00\x00xyz\x00",
    "trailing_bytes": b"/xinfo\x00\x00,\x00\x00\x00\x00\x00\x00\x01",
    "bad_bundle": b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x03abc\x00",
}
"""One packet per reason (asyncio does not send empty datagrams)."""


async def test_malformed_packets_are_ignored_silently_and_counted_by_reason(
    desk: X32Sim, client: UdpClient
) -> None:
    watcher = Watcher(desk.endpoint)
    for packet in MALFORMED.values():
        client.send_raw(packet)
    client.send("/xinfo")  # the desk still answers afterwards
    assert (await client.reply()).address == "/xinfo"
    await watcher.wait(len(MALFORMED) + 1)
    stats = desk.stats()
    assert stats["ignored"] == dict.fromkeys(MALFORMED, 1)
    assert stats["ignored_total"] == len(MALFORMED)
    assert stats["packets"] == len(MALFORMED) + 1
    assert len(stats["last_ignored"]) == len(MALFORMED)
    assert "not_osc" in stats["last_ignored"][1]
    assert client.pending() == []  # nothing was answered for them


async def test_bundles_are_applied_in_order(desk: X32Sim, client: UdpClient) -> None:
    inner = OscBundle(1, (osc_message("/ch/02/mix/fader", "f", 0.25),))
    bundle = OscBundle(1, (osc_message("/ch/01/mix/fader", "f", 0.5), inner))
    client.send_raw(encode_packet(bundle))
    client.send("/ch/02/mix/fader")
    assert (await client.reply()).values == (0.25,)
    assert desk.state()["channels"]["1"]["fader"] == 0.5
    assert desk.stats()["bundles"] == 2


async def test_history_keeps_the_latest_readable_messages() -> None:
    sim = GenericOscSim("any")
    await sim.start()
    try:
        watcher = Watcher(sim.endpoint)
        async with udp_client(sim.port) as client:
            for index in range(60):
                client.send("/n", "i", index)
            client.send("/text", "sT", "hello")
            await watcher.wait(61)
        last = sim.state()["last"]
        assert len(last) == 50
        assert last[-2:] == ["/n 59", '/text "hello" true']
    finally:
        await sim.aclose()


@pytest.mark.parametrize("framing", ["slip", "length"])
async def test_tcp_framing_is_detected_per_connection(framing: str) -> None:
    sim = EosSim("lx")
    await sim.start()
    try:
        async with tcp_client(sim.port, framing) as client:
            client.send("/eos/ping", "s", "hello")
            reply = await client.reply()
            assert (reply.address, reply.values) == ("/eos/out/ping", ("hello",))
    finally:
        await sim.aclose()


async def test_a_bad_length_prefix_is_counted_and_the_connection_dropped() -> None:
    sim = EosSim("lx")
    await sim.start()
    try:
        async with tcp_client(sim.port, "length") as client:
            good = length_prefix_encode(encode_packet(osc_message("/eos/key/go_0", "f", 1.0)))
            client.send_raw(good + b"\x00\xff\xff\xff")  # 16 MB: cannot be resynced
            await client.closed_by_peer()
        assert sim.stats()["ignored"] == {"bad_framing": 1}
        assert sim.state()["active_cue"] == "1"  # the good frame before it was applied
    finally:
        await sim.aclose()


async def test_a_bad_slip_frame_is_skipped_and_the_stream_goes_on() -> None:
    sim = EosSim("lx")
    await sim.start()
    try:
        async with tcp_client(sim.port, "slip") as client:
            client.send_raw(b"\xc0/eos\xdb\x01\xc0")
            client.send("/eos/ping")
            assert (await client.reply()).address == "/eos/out/ping"
        assert sim.stats()["ignored"] == {"bad_framing": 1}
    finally:
        await sim.aclose()


async def test_offline_receives_and_answers_nothing(desk: X32Sim, client: UdpClient) -> None:
    watcher = Watcher(desk.endpoint)
    desk.faults.offline = True
    client.send("/ch/01/mix/fader", "f", 0.5)
    client.send("/xinfo")
    heard = await watcher.wait(2)
    assert [event.reason for event in heard] == ["offline", "offline"]
    assert desk.stats()["faults"] == {"offline": 2}
    assert desk.state()["channels"]["1"]["fader"] == 0.0
    desk.faults.offline = False
    client.send("/xinfo")
    assert (await client.reply()).address == "/xinfo"  # the earlier /xinfo got no answer
    assert client.pending() == []


async def test_offline_refuses_tcp_and_comes_back() -> None:
    sim = EosSim("lx")
    await sim.start()
    try:
        async with tcp_client(sim.port) as client:
            sim.faults.offline = True
            await client.closed_by_peer()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(LOOPBACK, sim.port)
        sim.faults.offline = False
        await sim.endpoint.listening()
        async with tcp_client(sim.port) as client:
            client.send("/eos/ping")
            assert (await client.reply()).address == "/eos/out/ping"
    finally:
        await sim.aclose()


async def test_drop_rate_drops_a_seeded_share_of_packets() -> None:
    sim = GenericOscSim("any", seed=7)
    await sim.start()
    try:
        sim.faults.drop_rate = 0.5
        watcher = Watcher(sim.endpoint)
        async with udp_client(sim.port) as client:
            for batch in range(10):  # in batches, so the socket buffer never overflows
                for index in range(20):
                    client.send("/n", "i", batch * 20 + index)
                heard = await watcher.wait(20 * (batch + 1))
        dropped = sim.stats()["faults"]["dropped"]
        assert 60 <= dropped <= 140
        assert sum(event.reason == "dropped" for event in heard) == dropped
        assert len(sim.state()["values"]) == 1
        assert sim.stats()["messages"] == 200 - dropped
    finally:
        await sim.aclose()


async def test_delay_holds_answers_without_blocking_other_traffic(
    desk: X32Sim, client: UdpClient
) -> None:
    watcher = Watcher(desk.endpoint)
    desk.faults.delay = 0.4
    started = time.monotonic()
    client.send("/xinfo")
    client.send("/ch/01/mix/fader", "f", 0.5)
    await watcher.wait(2)
    applied = time.monotonic() - started
    assert desk.state()["channels"]["1"]["fader"] == 0.5
    assert (await client.reply()).address == "/xinfo"
    answered = time.monotonic() - started
    assert applied < 0.3  # the change behind the probe was not held up
    assert answered >= 0.39


async def test_ignore_probes_keeps_the_device_working(desk: X32Sim, client: UdpClient) -> None:
    desk.faults.ignore_probes = True
    client.send("/xinfo")
    client.send("/ch/01/mix/fader", "f", 0.5)
    client.send("/ch/01/mix/fader")
    assert (await client.reply()).address == "/ch/01/mix/fader"  # not /xinfo
    assert desk.stats()["faults"] == {"probes_ignored": 1}
    desk.faults.ignore_probes = False
    client.send("/xinfo")
    assert (await client.reply()).address == "/xinfo"


def test_fault_values_are_checked() -> None:
    faults = WatchedFaults()
    with pytest.raises(ValueError, match="between 0 and 1"):
        faults.drop_rate = 1.5
    with pytest.raises(ValueError, match="delay"):
        faults.delay = -1
    with pytest.raises(ValueError, match="true or false"):
        faults.offline = 1  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        faults.slow = True  # type: ignore[attr-defined]
    assert parse_fault("drop=0.25") == {"drop_rate": 0.25}
    assert parse_fault("ignore_probes") == {"ignore_probes": True}
    with pytest.raises(ValueError, match="unknown fault 'sleepy'; expected offline"):
        parse_fault("sleepy")
    with pytest.raises(ValueError, match="not a number"):
        parse_fault("delay=soon")
    apply_faults(faults, ["offline", "delay=0.5", "online"])
    assert faults.as_dict() == {
        "offline": False,
        "drop_rate": 0.0,
        "delay": 0.5,
        "ignore_probes": False,
    }


async def test_a_taken_port_is_a_clear_error(desk: X32Sim) -> None:
    other = X32Sim("other", port=desk.port)
    with pytest.raises(DeviceError, match=f"udp 127.0.0.1:{desk.port}"):
        await other.start()
    await other.aclose()


async def test_slip_and_length_frames_are_what_the_client_uses() -> None:
    sim = EosSim("lx")
    await sim.start()
    try:
        async with tcp_client(sim.port, "length") as client:
            client.send_raw(length_prefix_encode(encode_packet(osc_message("/eos/ping"))))
            await client.reply()
        async with tcp_client(sim.port, "slip") as client:
            client.send_raw(slip_encode(encode_packet(osc_message("/eos/ping")))[1:])
            await client.reply()  # single-END SLIP senders work too
    finally:
        await sim.aclose()
