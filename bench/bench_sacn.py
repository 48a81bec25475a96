"""Benchmark: sACN output of 16-256 continuously fading universes, cuebridge vs the sacn package."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cuebridge.core.curves import Curve
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_sender import SacnSender
from cuebridge.runtime.clock import MonotonicClock
from machine import describe_machine

UNIVERSE_COUNTS = (16, 64, 256)
RATES = (44, 40)
WARMUP = 0.5  # seconds sent before measuring
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the socket module lacks it
STOP = b"stop"
SACN_PACKAGE_NOTE = (
    "sacn package: its own threaded SenderSocketUDP (send loop, timing, per-packet getBytes),\n"
    "subclassed only to send to the receiver's ephemeral port instead of the hard-coded 5568\n"
    "(protocols.md §1.7B `socket=` hook); no network namespace needed. Levels are assigned\n"
    "from an asyncio task through the public `dmx_data` setter, rendered by the same DmxFader."
)


def receive(conn: Connection) -> None:
    """Receiver process: record (universe, sequence, kernel receive time) until STOP arrives."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE, needs CAP_NET_ADMIN
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind(("127.0.0.1", 0))
    conn.send(sock.getsockname()[1])
    universes, sequences, stamps = [], [], []
    kernel = True
    ancillary = socket.CMSG_SPACE(16)
    while True:
        data, cmsgs, _, _ = sock.recvmsg(1024, ancillary)
        if data == STOP:
            break
        stamp = None
        for level, kind, payload in cmsgs:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
                stamp = seconds * 1_000_000_000 + nanoseconds
        if stamp is None:
            kernel, stamp = False, time.monotonic_ns()
        universes.append(int.from_bytes(data[113:115], "big"))
        sequences.append(data[111])
        stamps.append(stamp)
    sock.close()
    conn.send((np.array(universes), np.array(sequences), np.array(stamps, dtype=np.int64), kernel))


class Fades:
    """Keeps all 512 channels of every universe fading, queueing each fade as the last ends.

    An S-curve is nearly flat at both ends, and an unchanged frame is not resent, so the
    channels fade in 8 groups with independent timing: some group changes in every frame.
    """

    GROUPS = 8

    def __init__(self, fader: DmxFader, universes: int, now: float) -> None:
        self.fader, self.rng = fader, np.random.default_rng(1)
        self.groups = np.arange(512).reshape(self.GROUPS, -1)
        self.ends = {(u, g): now for u in range(1, universes + 1) for g in range(self.GROUPS)}

    def top_up(self, now: float, lookahead: float = 0.1) -> None:
        for (universe, group), end in self.ends.items():
            if end <= now + lookahead:
                duration = float(self.rng.uniform(2.0, 4.0))
                targets = self.rng.uniform(0.0, 255.0, len(self.groups[group]))
                slots = self.groups[group]
                self.fader.fade(universe, slots, targets, Curve.S_CURVE, end, duration)
                self.ends[universe, group] = end + duration

    async def run(self) -> None:
        clock = MonotonicClock()
        while True:
            self.top_up(clock.now())
            await asyncio.sleep(0.025)  # small batches: a long top-up would delay a frame


async def measure(seconds: float) -> float:
    """CPU share of this process (all threads) over `seconds` after the warm-up."""
    await asyncio.sleep(WARMUP)
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


async def run_cuebridge(port: int, universes: int, fps: int, seconds: float) -> dict[str, Any]:
    clock, fader = MonotonicClock(), DmxFader()
    fades = Fades(fader, universes, clock.now())
    fades.top_up(clock.now())
    sender = SacnSender(
        "bench", uuid.uuid4(), clock, fps=fps, port=port, bind_address="127.0.0.1", fader=fader
    )
    for universe in range(1, universes + 1):
        sender.add_universe(universe)
    await sender.start()
    top_up = asyncio.create_task(fades.run())
    try:
        cpu = await measure(seconds)
    finally:
        top_up.cancel()
        await sender.aclose()
    return {"cpu": cpu, "skipped": sender.stats.skipped_frames}


async def run_sacn_package(port: int, universes: int, fps: int, seconds: float) -> dict[str, Any]:
    import sacn
    from sacn.sending.sender_socket_udp import SenderSocketUDP

    class EphemeralPortSocket(SenderSocketUDP):  # type: ignore[misc]  # untyped package
        def send_packet(self, data: Any, destination: str) -> None:
            self._socket.sendto(bytearray(data), (destination, port))

    sock = EphemeralPortSocket(None, "127.0.0.1", 0, fps)
    sender = sacn.sACNsender(
        bind_address="127.0.0.1", bind_port=0, source_name="bench", fps=fps,
        cid=tuple(uuid.uuid4().bytes), universeDiscovery=False, socket=sock,
    )  # fmt: skip
    sock._listener = sender._sender_handler  # the wiring sacn's own tests do
    clock, fader = MonotonicClock(), DmxFader()
    fades = Fades(fader, universes, clock.now())
    fades.top_up(clock.now())
    for universe in range(1, universes + 1):
        sender.activate_output(universe)
        sender[universe].destination = "127.0.0.1"
    for universe, frame in fader.render(clock.now()).items():  # before start(): §1.6 race
        sender[universe].dmx_data = tuple(frame.tolist())

    async def feed() -> None:
        start, frame_index = clock.now(), 0
        while True:
            frame_index += 1
            await asyncio.sleep(max(0.0, start + frame_index / fps - clock.now()))
            fades.top_up(clock.now())
            for universe, frame in fader.render(clock.now()).items():
                sender[universe].dmx_data = tuple(frame.tolist())

    sender.start()
    feeder = asyncio.create_task(feed())
    try:
        cpu = await measure(seconds)
    finally:
        feeder.cancel()
        await asyncio.to_thread(sender.stop)
    return {"cpu": cpu, "skipped": 0}


def send(kind: str, port: int, universes: int, fps: int, seconds: float, conn: Connection) -> None:
    """Sender process: run one sender for warm-up + `seconds`, report its figures."""
    run = run_cuebridge if kind == "cuebridge" else run_sacn_package
    conn.send(asyncio.run(run(port, universes, fps, seconds)))


@dataclass
class Row:
    sender: str
    universes: int
    fps: int
    rate_mean: float
    rate_min: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    lost: int
    cpu: float
    skipped: int


def analyse(kind: str, universes: int, fps: int, seconds: float, got: Any, cpu: Any) -> Row:
    unis, seqs, stamps, _ = got
    start = stamps.min() + int(WARMUP * 1e9)
    rates, errors, lost = [], [], 0
    for universe in range(1, universes + 1):
        mine = unis == universe
        times: NDArray[np.int64] = stamps[mine]
        seq = seqs[mine][(times >= start) & (times < start + int(seconds * 1e9))]
        times = times[(times >= start) & (times < start + int(seconds * 1e9))]
        rates.append(len(times) / seconds)
        errors.append(np.abs(np.diff(times) / 1e9 - 1.0 / fps))
        lost += int(np.sum((np.diff(seq.astype(np.int64)) % 256) - 1))
    error_ms = np.concatenate(errors) * 1e3
    return Row(
        kind, universes, fps, float(np.mean(rates)), float(np.min(rates)),
        float(np.percentile(error_ms, 50)), float(np.percentile(error_ms, 99)),
        float(error_ms.max()), lost, 100 * cpu["cpu"], cpu["skipped"],
    )  # fmt: skip


def run_one(kind: str, universes: int, fps: int, seconds: float) -> tuple[Row, bool]:
    """One sender process against one receiver process; both end with the run."""
    context = multiprocessing.get_context("spawn")
    rx_parent, rx_child = context.Pipe()
    receiver = context.Process(target=receive, args=(rx_child,), daemon=True)
    receiver.start()
    rx_child.close()  # so that recv() fails instead of hanging if a child dies
    port = _recv(rx_parent, 30.0)
    tx_parent, tx_child = context.Pipe()
    args = (kind, port, universes, fps, seconds, tx_child)
    sender = context.Process(target=send, args=args, daemon=True)
    sender.start()
    tx_child.close()
    figures = _recv(tx_parent, WARMUP + seconds + 30.0)
    sender.join()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stop:
        stop.sendto(STOP, ("127.0.0.1", port))
    got = _recv(rx_parent, 30.0)
    receiver.join()
    return analyse(kind, universes, fps, seconds, got, figures), bool(got[3])


def _recv(conn: Connection, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise TimeoutError("a benchmark process did not answer")
    return conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    seconds = parser.parse_args().seconds
    print(f"machine: {describe_machine()}")
    print(f"each run: {WARMUP} s warm-up, then {seconds} s measured; receiver in its own process")
    print("on 127.0.0.1 (ephemeral port); all 512 channels of every universe fade continuously")
    print("(S-curves of 2-4 s to random levels, 8 groups of 64 channels with independent timing,")
    print("so that every frame changes)\n" + SACN_PACKAGE_NOTE + "\n")
    header = (
        f"{'sender':<10} {'univ':>4} {'fps':>3}  {'frames/s mean':>13} {'min':>6}  "
        f"{'interval err p50':>16} {'p99':>6} {'max':>6} ms  {'lost':>5}  {'CPU %core':>9}  skipped"
    )
    print(header + "\n" + "-" * len(header))
    rows = []
    for fps in RATES:
        for universes in UNIVERSE_COUNTS:
            for kind in ("cuebridge", "sacn-pkg"):
                row, kernel = run_one(kind, universes, fps, seconds)
                rows.append(row)
                print(
                    f"{row.sender:<10} {row.universes:>4} {row.fps:>3}  {row.rate_mean:>13.2f} "
                    f"{row.rate_min:>6.2f}  {row.p50_ms:>16.3f} {row.p99_ms:>6.3f} "
                    f"{row.max_ms:>6.2f}     {row.lost:>5}  {row.cpu:>9.1f}  {row.skipped:>7}",
                    flush=True,
                )
    print(f"\nintervals from {'kernel receive timestamps' if kernel else 'time.monotonic'}")
    print("targets (cuebridge, 44 fps):")
    for row in rows:
        if row.sender == "cuebridge" and row.fps == 44 and row.universes == 64:
            ok = row.rate_min >= 43 and row.p99_ms <= 3 and row.cpu < 25
            print(f"  64 universes >= 43 frames/s, p99 <= 3 ms, < 25 % core: {_verdict(ok)}")
        if row.sender == "cuebridge" and row.fps == 44 and row.universes == 256:
            print(f"  256 universes >= 40 frames/s: {_verdict(row.rate_min >= 40)}")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    main()
