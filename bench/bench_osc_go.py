"""Benchmark: OSC GO in (UDP loopback) to the cue's first OSC packet out; prints p50/p99.

Baseline in the same run: a raw UDP echo through asyncio on the same loop, which is the
floor any UDP-in / UDP-out path on this machine pays.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from typing import Any

from cuebridge import app
from cuebridge.config.showfile import load_show_text
from cuebridge.control.osc_server import OscControlServer
from cuebridge.control.osc_service import OscControlOptions, osc_control
from cuebridge.protocols.osc import encode_packet, osc_message
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from machine import describe_machine

GOS = 500
WARMUP = 20
SPACING = 0.002
"""Seconds between GOs: the loop is idle again before the next one, as with a human."""
TARGET_P99_MS = 2.0


def show_text(cues: int, port: int) -> str:
    lines = [
        "version: 1",
        "show: {title: OSC GO bench}",
        "settings: {min_go_interval: 0}",
        "devices:",
        f"  out: {{profile: generic-osc, host: 127.0.0.1, port: {port}}}",
        "cue_lists:",
        "  - id: main",
        "    cues:",
    ]
    lines.extend(
        f'      - {{number: "{n}", actions: [{{device: out, action: trigger, '
        f'params: {{address: "/bench/{n}"}}}}]}}'
        for n in range(1, cues + 1)
    )
    return "\n".join(lines) + "\n"


class Arrivals(asyncio.DatagramProtocol):
    """Timestamps each datagram the moment the loop hands it over."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[float] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(time.perf_counter())


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.transport.sendto(data, addr)  # type: ignore[attr-defined]


async def endpoint(factory: Any) -> tuple[asyncio.DatagramTransport, Any, int]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(factory, local_addr=("127.0.0.1", 0))
    return transport, protocol, int(transport.get_extra_info("sockname")[1])


async def measure(send: Any, arrivals: Arrivals, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        await asyncio.sleep(SPACING)
        start = time.perf_counter()
        send()
        arrived = await asyncio.wait_for(arrivals.queue.get(), 5)
        samples.append(arrived - start)
    return samples


async def baseline(count: int) -> list[float]:
    echo_t, _, echo_port = await endpoint(Echo)
    client_t, arrivals, _ = await endpoint(Arrivals)
    payload = encode_packet(osc_message("/go"))
    try:
        return await measure(
            lambda: client_t.sendto(payload, ("127.0.0.1", echo_port)), arrivals, count
        )
    finally:
        echo_t.close()
        client_t.close()


async def osc_go(count: int) -> list[float]:
    out_t, arrivals, out_port = await endpoint(Arrivals)
    sender_t, _, _ = await endpoint(asyncio.DatagramProtocol)
    catalog = app.load_catalog()
    show = load_show_text(show_text(count + 1, out_port), "bench.yaml", catalog)
    clock = MonotonicClock()
    ready: asyncio.Future[OscControlServer] = asyncio.get_running_loop().create_future()
    options = OscControlOptions(port=0, on_ready=ready.set_result)
    outputs = app.build_outputs(show, catalog, clock, None)
    daemon = Daemon(show, outputs, clock, (osc_control(options),))
    task = asyncio.create_task(daemon.run())
    try:
        server = await asyncio.wait_for(ready, 5)
        go = encode_packet(osc_message("/go"))
        target = ("127.0.0.1", server.udp_port)
        return await measure(lambda: sender_t.sendto(go, target), arrivals, count)
    finally:
        daemon.request_stop()
        await task
        out_t.close()
        sender_t.close()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(label: str, samples: list[float]) -> float:
    ms = [s * 1000 for s in samples]
    p99 = percentile(ms, 0.99)
    print(
        f"{label:<44} p50 {statistics.median(ms):6.3f} ms   p99 {p99:6.3f} ms"
        f"   max {max(ms):6.3f} ms"
    )
    return p99


async def main() -> None:
    print(f"machine: {describe_machine()}")
    print(f"{GOS} GOs, {SPACING * 1000:.0f} ms apart, loopback UDP, one event loop\n")
    gc.collect()
    base = await baseline(GOS + WARMUP)
    go = await osc_go(GOS + WARMUP)
    report("baseline: raw UDP echo through asyncio", base[WARMUP:])
    p99 = report("OSC /go in -> first OSC packet out", go[WARMUP:])
    verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
    print(f"\np99 {p99:.3f} ms {verdict} the {TARGET_P99_MS:g} ms target")


if __name__ == "__main__":
    asyncio.run(main())
