"""Bounded fuzzing: random and mangled packets never crash or stall OSC control."""

from __future__ import annotations

import asyncio
import random

from osc_harness import SlipClient, UdpClient, make_show, serve, wait_for

from cuebridge.control.osc_dispatch import resolve
from cuebridge.control.osc_namespace import NATIVE_ADDRESSES
from cuebridge.control.qlab_compat import QLAB_ADDRESSES
from cuebridge.protocols.osc import encode_packet, osc_message

COUNT = 2000
SEED = 20240601
KNOWN_REASONS = {
    "decode",
    "unknown-address",
    "unknown-workspace",
    "bad-arguments",
    "unknown-cue",
    "denied",
    "framing",
    "connect-badpass",
    "connect-denied",
}


def seed_packets() -> list[bytes]:
    """Valid packets to mangle: every documented address shape with a few argument types."""
    addresses = [
        a.replace("{number}", "2").replace("{list}", "main").replace("{id}", "x")
        for a in (*NATIVE_ADDRESSES, *QLAB_ADDRESSES)
        if "..." not in a and "{property}" not in a
    ]
    packets = []
    for address in addresses:
        packets.append(encode_packet(osc_message(address)))
        packets.append(encode_packet(osc_message(address, "f", 1.0)))
        packets.append(encode_packet(osc_message(address, "si", "abc", 3)))
    return packets


def mangle(rng: random.Random, seeds: list[bytes]) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return rng.randbytes(rng.randrange(0, 200))
    packet = bytearray(rng.choice(seeds))
    if choice == 1:
        return bytes(packet[: rng.randrange(len(packet))])  # truncated
    if choice == 2:
        for _ in range(rng.randrange(1, 4)):
            packet[rng.randrange(len(packet))] = rng.randrange(256)  # flipped bytes
        return bytes(packet)
    if choice == 3:
        tags = packet.find(b",")
        if tags > 0:
            packet[tags + 1 : tags + 2] = bytes([rng.choice(b"ifsbTFNIxyz[]\x00")])
        return bytes(packet)
    return bytes(packet + rng.randbytes(rng.randrange(1, 12)))  # trailing garbage


async def test_random_datagrams_never_break_the_server() -> None:
    rng = random.Random(SEED)
    seeds = seed_packets()
    async with serve(make_show(min_go_interval=0.3)) as run:
        fuzzer = await UdpClient.open(run.port)
        checker = await UdpClient.open(run.port)
        try:
            for _batch in range(0, COUNT, 50):
                for _ in range(50):
                    fuzzer.send_raw(mangle(rng, seeds))
                await asyncio.sleep(0.002)  # let the server drain: loopback UDP drops on overflow
            stats = run.server.dispatcher.stats
            await wait_for(lambda: stats.packets >= COUNT * 0.95)
            checker.send(osc_message("/cuebridge/ping", "i", 1))
            pong = await checker.receive_until("/cuebridge/pong")
            assert pong.values == (1,)
            assert set(stats.rejected) <= KNOWN_REASONS, stats.rejected
            assert stats.rejected["decode"] > COUNT / 4
        finally:
            fuzzer.close()
            checker.close()


async def test_garbage_on_tcp_does_not_stall_udp_or_other_tcp_clients() -> None:
    rng = random.Random(SEED + 1)
    async with serve(make_show()) as run:
        garbage = await SlipClient.open(run.server.tcp_port)
        good = await SlipClient.open(run.server.tcp_port)
        udp = await UdpClient.open(run.port)
        try:
            for _ in range(200):
                garbage.writer.write(rng.randbytes(rng.randrange(1, 300)))
            garbage.writer.write(b"\xc0" + b"\xdb\x01" * 10 + b"\xc0")  # bad SLIP escapes
            await garbage.writer.drain()
            udp.send(osc_message("/cuebridge/ping"))
            assert (await udp.receive_until("/cuebridge/pong")).values == ()
            good.send(osc_message("/cuebridge/ping", "s", "tcp"))
            assert (await good.receive_until("/cuebridge/pong")).values == ("tcp",)
            assert run.server.dispatcher.stats.rejected["framing"] >= 1
        finally:
            await garbage.close()
            await good.close()
            udp.close()


def test_resolver_never_raises_on_random_addresses() -> None:
    rng = random.Random(SEED + 2)
    alphabet = "/abcgo{}[]*?!,.0123456789_-"
    for _ in range(COUNT):
        address = "/" + "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        resolve(address)
