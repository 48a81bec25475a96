"""Benchmark: 100 socket.io panels on loopback; time from a GO to every panel having the new state.

Processes, as on a show night where the tablets are other machines:
- the daemon (demo show, logging outputs, web panel on 127.0.0.1, a free port);
- `--workers` client processes sharing the 100 viewer connections (python-socketio AsyncClient,
  websocket); each reports when one of its panels first sees a cue's new actual start;
- this process: the operator, which sends the GOs and collects the reports.
Times are CLOCK_MONOTONIC (`time.monotonic`), shared by every process on Linux.
GOs are spaced beyond the double-GO guard; at the end of the show it is reset, unmeasured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import socketio

from machine import describe_machine

ROOT = Path(__file__).resolve().parents[1]
DEMO_SHOW = ROOT / "show_files" / "keynote.yaml"
SPACING = 0.4
"""Seconds between GOs: beyond the demo's 0.3 s double-GO guard."""
TARGET_P99 = 0.050


async def serve() -> None:
    """Daemon process: run the demo show with the web panel until stdin closes."""
    from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
    from cuebridge.config.showfile import load_show
    from cuebridge.core.engine import CONTROL_DEVICE
    from cuebridge.drivers.base import OutputDriver
    from cuebridge.drivers.logging_output import LoggingOutput
    from cuebridge.runtime.clock import MonotonicClock
    from cuebridge.runtime.daemon import Daemon
    from cuebridge.web.service import WebOptions, web_service

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    catalog = ProfileCatalog.load(default_profile_dirs())
    show = load_show(DEMO_SHOW, catalog)
    drivers: dict[str, OutputDriver] = {
        name: LoggingOutput(name, device.profile)
        for name, device in show.devices.items()
        if name != CONTROL_DEVICE
    }

    def ready(base_url: str, tokens: Any) -> None:
        print(json.dumps({"url": base_url, "tokens": {r.label: t for r, t in tokens.items()}}))
        sys.stdout.flush()

    options = WebOptions(port=0, catalog=catalog, on_ready=ready, print_links=False)
    daemon = Daemon(show, drivers, MonotonicClock(), (web_service(options),))
    stdin = await _stdin_reader()

    async def stop_on_eof() -> None:
        await stdin.read()
        daemon.request_stop()

    watcher = asyncio.create_task(stop_on_eof())
    await daemon.run()
    watcher.cancel()


async def _stdin_reader() -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


class Panel:
    """One tablet: notes when each cue's actual start changes."""

    def __init__(self, on_change: Any = None) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.starts: dict[str, str | None] = {}
        self.standby: str | None = None
        self.seen = asyncio.Event()
        self._on_change = on_change
        self.sio.on("state", self._state)

    async def _state(self, state: dict[str, Any]) -> None:
        now = time.monotonic()
        cue_list = state["lists"][0]
        self.standby = cue_list["standby"]
        for cue in cue_list["cues"]:
            if self.starts.get(cue["number"], "") != cue["actual_start"]:
                self.starts[cue["number"]] = cue["actual_start"]
                if self._on_change is not None:
                    self._on_change(cue["number"], now)
        self.seen.set()

    async def connect(self, url: str, token: str) -> None:
        await self.sio.connect(url, auth={"token": token}, transports=["websocket"])
        async with asyncio.timeout(10):
            await self.seen.wait()


async def worker(url: str, token: str, count: int) -> None:
    """Client process: `count` viewers; prints `cue time` whenever one sees a new start."""

    def report(number: str, at: float) -> None:
        sys.stdout.write(f"{number} {at!r}\n")

    panels = [Panel(report) for _ in range(count)]
    for start in range(0, count, 20):
        await asyncio.gather(*(p.connect(url, token) for p in panels[start : start + 20]))
    print("ready", flush=True)
    flusher = asyncio.create_task(_flush_often())
    await (await _stdin_reader()).read()
    flusher.cancel()
    for panel in panels:
        await panel.sio.disconnect()


async def _flush_often() -> None:
    while True:
        await asyncio.sleep(0.002)
        sys.stdout.flush()


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parent,
    )  # fmt: skip


async def run_bench(clients: int, gos: int, workers: int) -> None:
    print(f"machine: {describe_machine()}, load average {os.getloadavg()[0]:.2f} at start")
    server = await spawn("--serve")

    assert server.stdout is not None
    info = json.loads(await asyncio.wait_for(server.stdout.readline(), 30))
    url, tokens = info["url"], info["tokens"]
    shares = [clients // workers + (i < clients % workers) for i in range(workers)]
    procs = [await spawn("--worker", url, tokens["viewer"], str(n)) for n in shares]
    reports: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    ready: list[asyncio.Future[None]] = [loop.create_future() for _ in procs]
    readers = [
        asyncio.create_task(collect(p, r, reports)) for p, r in zip(procs, ready, strict=True)
    ]
    operator = Panel()
    try:
        await operator.connect(url, tokens["operator"])
        async with asyncio.timeout(60):
            await asyncio.gather(*ready)
        print(f"{clients} socket.io clients in {workers} processes on {url} (websocket); {gos} GOs")
        before = cpu_seconds(server.pid)
        every, each = await measure(operator, reports, clients, gos)
        server_cpu = (cpu_seconds(server.pid) - before) / gos
    finally:
        await operator.sio.disconnect()
        for proc in [*procs, server]:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in [*procs, server]:
            await asyncio.wait_for(proc.wait(), 30)
        for reader in readers:
            reader.cancel()
    report(every, each, server_cpu)


async def collect(
    proc: asyncio.subprocess.Process,
    ready: asyncio.Future[None],
    out: asyncio.Queue[tuple[str, float]],
) -> None:
    """Read a worker's reports: `ready` once, then `cue time` lines."""
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        text = line.decode().strip()
        if text == "ready":
            ready.set_result(None)
        elif text:
            number, at = text.split()
            out.put_nowait((number, float(at)))


async def measure(
    operator: Panel, reports: asyncio.Queue[tuple[str, float]], clients: int, gos: int
) -> tuple[list[float], list[float]]:
    every: list[float] = []
    each: list[float] = []
    while len(every) < gos:
        cue = operator.standby
        if cue is None:  # end of the show: start over, unmeasured
            operator.seen.clear()
            await operator.sio.emit("reset", {})
            await asyncio.sleep(SPACING)
            continue
        while not reports.empty():
            reports.get_nowait()
        sent = time.monotonic()
        await operator.sio.emit("go", {})
        latencies: list[float] = []
        async with asyncio.timeout(10):
            while len(latencies) < clients:
                number, at = await reports.get()
                if number == cue and at > sent:
                    latencies.append(at - sent)
        every.append(max(latencies))
        each.extend(latencies)
        await asyncio.sleep(SPACING)
    return every, each


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(every: list[float], each: list[float], server_cpu: float) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:.1f} ms"

    p50, p90, p99 = (percentile(every, share) for share in (0.5, 0.9, 0.99))
    print(
        f"GO -> every client has the new state: p50 {ms(p50)}, p90 {ms(p90)}, p99 {ms(p99)}, "
        f"max {ms(max(every))} ({len(every)} GOs)"
    )
    print("  slowest GOs:", ", ".join(ms(value) for value in sorted(every)[-5:]))
    print(
        f"GO -> one client has it: p50 {ms(statistics.median(each))}, "
        f"p99 {ms(percentile(each, 0.99))} ({len(each)} deliveries)"
    )
    print(f"daemon CPU per GO cycle (every push in it, to all clients): {ms(server_cpu)}")
    print(f"target: p99 under {ms(TARGET_P99)} -> {'met' if p99 < TARGET_P99 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--gos", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
    elif args.worker:
        url, token, count = args.worker
        asyncio.run(worker(url, token, int(count)))
    else:
        asyncio.run(run_bench(args.clients, args.gos, args.workers))


if __name__ == "__main__":
    main()
