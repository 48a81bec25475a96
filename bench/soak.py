"""Soak (not CI): a looping auto-follow show fading 64 universes, watched by socket.io clients.

The daemon runs as a subprocess with the show log, persistence, hot reload and the web panel;
this script is the sACN receiver and the panel clients. It prints the daemon's resident
memory and the show log's size at the start and the end: memory must stay flat while the
log (bounded by its retention) grows.

    .venv/bin/python bench/soak.py --minutes 10 --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import socketio

from machine import describe_machine

TOKEN = "soak-viewer-token"
ENTRY = """
import asyncio, logging, sys
from pathlib import Path
from cuebridge import app
from cuebridge.config.showfile import load_show
from cuebridge.core.commands import Go
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.persist import PersistenceService
from cuebridge.runtime.reload import ShowReloader
from cuebridge.runtime.roles import Role
from cuebridge.runtime.showlog import ShowLogService
from cuebridge.web.service import WebOptions, web_service

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
show_path, state_dir, token = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

def ready(url, tokens):
    print("WEB", url, flush=True)

async def main():
    catalog = app.load_catalog()
    show = load_show(show_path, catalog)
    clock = MonotonicClock()
    state = (ShowLogService(state_dir), PersistenceService(state_dir),
             ShowReloader(show_path, catalog))
    web = web_service(WebOptions(port=0, tokens={Role.VIEWER: token}, catalog=catalog,
                                 print_links=False, on_ready=ready))
    daemon = Daemon(show, app.build_outputs(show, catalog, clock, state_dir), clock,
                    (*state, web))
    for service in state:
        service.prepare(daemon)
    daemon.loop.submit(Go(source="soak"))
    await app.serve(daemon)

asyncio.run(main())
"""


def soak_show(port: int, universes: int, cues: int, fade: float) -> str:
    """Cues fading 4 addresses in every universe, each following the last; the last restarts 1."""
    lines = [
        "version: 1",
        "show: {title: Soak}",
        "settings: {min_go_interval: 0}",
        "devices:",
        f"  lx: {{profile: generic-sacn, host: 127.0.0.1, port: {port}}}",
        "cue_lists:",
        "  - id: main",
        "    cues:",
    ]
    for n in range(1, cues + 1):
        lines += [f'      - number: "{n}"', "        continue: auto-follow", "        actions:"]
        level = 100 if n % 2 else 10
        for universe in range(1, universes + 1):
            for address in (1, 2, 3, 4):
                lines.append(
                    f"          - {{device: lx, action: level, params: {{universe: {universe}, "
                    f"address: {address + n % 4}, level: {level}}}, fade: {fade}}}"
                )
        if n == cues:
            lines.append('          - {device: show, action: start, params: {cue: "1"}}')
    return "\n".join(lines) + "\n"


class Counter(asyncio.DatagramProtocol):
    """Counts the sACN packets it receives."""

    def __init__(self) -> None:
        self.packets = 0

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.packets += 1


@dataclass
class Sample:
    at: float
    rss_kib: int
    log_bytes: int
    packets: int
    states: int


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def log_size(state: Path) -> int:
    return sum(p.stat().st_size for p in state.glob("showlog.sqlite3*") if p.is_file())


async def panel_clients(url: str, count: int) -> tuple[list[socketio.AsyncClient], list[int]]:
    clients, states = [], [0] * count
    for index in range(count):
        client = socketio.AsyncClient(reconnection=False)

        def counted(data: object = None, index: int = index) -> None:
            states[index] += 1

        client.on("state", counted)
        await client.connect(url, auth={"token": TOKEN}, transports=["websocket"], wait_timeout=10)
        clients.append(client)
    return clients, states


async def soak(args: argparse.Namespace, work: Path) -> None:
    loop = asyncio.get_running_loop()
    transport, counter = await loop.create_datagram_endpoint(Counter, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    show, state = work / "soak.yaml", work / "state"
    show.write_text(soak_show(port, args.universes, args.cues, args.fade))
    errors = (work / "daemon.log").open("wb")
    daemon = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ENTRY, str(show), str(state), TOKEN,
        stdout=asyncio.subprocess.PIPE, stderr=errors,
    )  # fmt: skip
    clients: list[socketio.AsyncClient] = []
    try:
        assert daemon.stdout is not None
        async with asyncio.timeout(30):
            line = (await daemon.stdout.readline()).decode().split()
        url = line[1]
        clients, states = await panel_clients(url, args.clients)
        print(f"daemon pid {daemon.pid}, panel {url}, {len(clients)} clients connected")
        samples: list[Sample] = []
        deadline = time.monotonic() + args.minutes * 60
        while True:
            samples.append(
                Sample(time.monotonic(), rss_kib(daemon.pid), log_size(state),
                       counter.packets, sum(states))
            )  # fmt: skip
            report(samples)
            if time.monotonic() >= deadline or daemon.returncode is not None:
                break
            await asyncio.sleep(min(args.every, max(0.0, deadline - time.monotonic())))
        summary(samples, args)
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.disconnect()
        if daemon.returncode is None:
            daemon.terminate()
        print(f"daemon exit code {await daemon.wait()}")
        errors.close()
        transport.close()


def report(samples: list[Sample]) -> None:
    last, first = samples[-1], samples[0]
    elapsed = last.at - first.at
    rate = (last.packets - first.packets) / elapsed if elapsed > 0 else 0.0
    print(
        f"t={elapsed:6.0f} s  rss {last.rss_kib / 1024:7.1f} MiB  show log "
        f"{last.log_bytes / 1e6:7.2f} MB  sACN {rate:6.0f} packets/s  states {last.states}",
        flush=True,
    )


def summary(samples: list[Sample], args: argparse.Namespace) -> None:
    # The first minute warms up (imports, caches, the log's first pages): compare from there.
    warm = next((s for s in samples if s.at - samples[0].at >= args.warmup), samples[0])
    end = samples[-1]
    print(f"machine: {describe_machine()}")
    print(f"{args.universes} universes, {args.cues} cues looping, {args.clients} clients")
    print(f"rss at start {samples[0].rss_kib / 1024:.1f} MiB, after warm-up "
          f"{warm.rss_kib / 1024:.1f} MiB, at end {end.rss_kib / 1024:.1f} MiB "
          f"(growth after warm-up {(end.rss_kib - warm.rss_kib) / 1024:+.1f} MiB)")  # fmt: skip
    print(f"show log at start {samples[0].log_bytes / 1e6:.2f} MB, at end "
          f"{end.log_bytes / 1e6:.2f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--universes", type=int, default=64)
    parser.add_argument("--cues", type=int, default=6)
    parser.add_argument("--fade", type=float, default=2.0, help="seconds per cue's fades")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the baseline")
    parser.add_argument("--state-dir", type=Path, help="keep the state here (default: temp)")
    args = parser.parse_args()
    if args.state_dir is not None:
        args.state_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(soak(args, args.state_dir))
        return
    with tempfile.TemporaryDirectory() as work:
        asyncio.run(soak(args, Path(work)))


if __name__ == "__main__":
    main()
