"""Benchmark: GO to first packet on the wire for OSC, sACN and MIDI over UDP; p50 and p99.

Driven the way the daemon drives it: a show loaded from YAML, the real drivers built by
their factories, an EngineLoop with a real Router, and `submit(Go(cue_list=...))`, stamped
(CLOCK_MONOTONIC) just before the submit. A receiver in its own process keeps the kernel's
receive stamp of each datagram (CLOCK_REALTIME, moved onto CLOCK_MONOTONIC with the offset
read at the GO), so the difference is GO to arrival on loopback, whatever the receiver
process's own scheduling.

Each round fires, in random order and 6-20 ms apart (so that GOs fall at random phases of
the sACN frames), one GO per protocol and two same-run baselines: `raw`, a UDP send at the
stamp (the kernel's floor), and `hop`, a send from a task woken through an asyncio.Queue,
as the engine is woken by `submit` (the floor of anything the loop sends: it pays the same
scheduling delays on a busy machine). Four phases: idle, then with 64 sACN universes (all
512 channels) fading in the background on the same loop, sent by the real SacnSender to a
sink process: under each sACN rate rule, and with the GOs' own universe fading too.

An sACN GO goes out at once unless the device's rate rule holds its universe back, and then
as soon as the rule allows: under `window` (the default) when universe 1 sent 44 packets in
the second before the GO, under `interval` when it sent one less than 1/44 s before. sACN
GOs are also reported split by that condition, read from the arrivals: held if the packets
of universe 1 before the one with the new level break the rule at the GO (under `interval`
also if a frame went while the GO was on its way).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import socket
import statistics
import struct
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import numpy as np

from cuebridge.config.device_options import RateRule
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.showfile import load_show_text
from cuebridge.core.commands import Go
from cuebridge.core.curves import Curve
from cuebridge.core.engine import CueEngine
from cuebridge.drivers.base import OutputDriver
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.osc_output import osc_output_for
from cuebridge.drivers.sacn_output import sacn_output_for
from cuebridge.drivers.sacn_pacing import MAX_RATE
from cuebridge.drivers.sacn_sender import SacnSender
from cuebridge.protocols.osc import OscMessage, decode_packet
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.engine_loop import EngineLoop
from cuebridge.runtime.router import Router
from machine import describe_machine

try:
    from cuebridge.drivers.midi_output import midi_output_for

    MIDI = True
except ImportError:  # the MIDI driver is optional for this benchmark
    MIDI = False

STOP = b"stop"
BASELINES = ("raw", "hop")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the socket module lacks it
WARMUP_ROUNDS = 20
BACKGROUND_UNIVERSES = 64
BACKGROUND_FPS = 40
TARGET_P99_MS = 2.0
SACN_MIN_INTERVAL_NS = 1e9 / MAX_RATE
SACN_SPLIT = ("sacn-free", "sacn-held")
ACN_ID = b"\x00\x10\x00\x00ASC-E1.17\x00\x00\x00"


def receive(conn: Connection, sink: bool) -> None:
    """Receiver process: stamp every datagram (or, as a sink, just count) until STOP.

    Each datagram gets two stamps: the kernel's (SO_TIMESTAMPNS: when it reached the
    socket, i.e. left the sender on loopback; CLOCK_REALTIME) and CLOCK_MONOTONIC when
    `recv` returned here (which also counts this process waiting for a core).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind(("127.0.0.1", 0))
    conn.send(sock.getsockname()[1])
    got: list[tuple[int, int, bytes]] = []
    count = 0
    ancillary = socket.CMSG_SPACE(16)
    while True:
        data, cmsgs, _, _ = sock.recvmsg(2048, ancillary)
        stamp = time.monotonic_ns()
        if data == STOP:
            break
        count += 1
        if sink:
            continue
        kernel = -1
        for level, kind, payload in cmsgs:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
                kernel = seconds * 1_000_000_000 + nanoseconds
        got.append((kernel, stamp, data[:128]))
    sock.close()
    conn.send(count if sink else got)


def show_text(cues: int, rx_port: int, phase: Phase) -> str:
    """Three cue lists, one per protocol; cue k sends a value unique among its neighbours.

    With `phase.go_universe_fading`, every sACN cue also fades address 2 of universe 1 to 0
    or 100 % over 2 s, so that universe changes on every frame (the GOs take the fade over).
    """
    lines = [
        "version: 1",
        "show: {title: GO latency bench}",
        "settings: {min_go_interval: 0}",
        "devices:",
        f"  osc: {{profile: generic-osc, host: 127.0.0.1, port: {rx_port}}}",
        f"  lx: {{profile: generic-sacn, host: 127.0.0.1, port: {rx_port}, "
        f"options: {{rate_rule: {phase.rule.value}}}}}",
        f"  midi: {{profile: generic-midi, host: 127.0.0.1, port: {rx_port}, transport: udp}}",
        "cue_lists:",
    ]
    actions: dict[str, Callable[[int], str]] = {
        "osc": lambda k: (
            f"{{device: osc, action: send_int, params: {{address: /bench, value: {k}}}}}"
        ),
        "sacn": lambda k: (
            f"{{device: lx, action: level, params: {{universe: 1, address: 1, "
            f"level: {sacn_level(k)}}}}}"
            + (
                f", {{device: lx, action: level, params: {{universe: 1, address: 2, "
                f"level: {k % 2 * 100}}}, fade: 2}}"
                if phase.go_universe_fading
                else ""
            )
        ),
        "midi": lambda k: (
            f"{{device: midi, action: cc, params: {{channel: 1, controller: 1, value: {k % 128}}}}}"
        ),
    }
    for offset, (kind, action) in enumerate(actions.items()):
        lines += [f"  - id: {kind}", "    cues:"]
        lines += [
            f'      - {{number: "{offset * 100_000 + k}", actions: [{action(k)}]}}'
            for k in range(1, cues + 1)
        ]
    return "\n".join(lines) + "\n"


def sacn_level(k: int) -> int:
    return 1 + k % 99  # percent; consecutive cues differ


def matcher(kind: str, k: int) -> Callable[[bytes], bool]:
    """Whether a received datagram is the first packet of GO number k of `kind`.

    sACN is matched by change instead (see `latencies`): the level's DMX scaling is the
    driver's business.
    """
    if kind in BASELINES:
        return lambda data: data == baseline_payload(kind, k)
    if kind == "osc":

        def is_osc(data: bytes) -> bool:
            if not data.startswith(b"/bench"):
                return False
            message = decode_packet(data)
            return isinstance(message, OscMessage) and message.args[0].value == k

        return is_osc
    return lambda data: data[:3] == bytes([0xB0, 1, k % 128])


def baseline_payload(kind: str, k: int) -> bytes:
    return kind.encode() + k.to_bytes(4, "big")


def is_universe_1(data: bytes) -> bool:
    return data.startswith(ACN_ID) and data[113:115] == b"\x00\x01" and data[125] == 0


@dataclass
class Fired:
    """One GO (or baseline send): CLOCK_MONOTONIC when submitted, and REALTIME - MONOTONIC
    read right then, to put kernel (REALTIME) arrival stamps on the same clock."""

    kind: str
    k: int
    at_ns: int
    realtime_offset: int


@dataclass(frozen=True)
class Phase:
    """One measured run: background universes or not, the sACN rule, a fading GO universe."""

    background: bool
    rule: RateRule = RateRule.WINDOW
    go_universe_fading: bool = False

    def title(self, per_frame: float, sunk: int) -> str:
        if not self.background:
            return f"idle (nothing else in the loop); sACN rate_rule: {self.rule.value}"
        return (
            f"with {BACKGROUND_UNIVERSES} sACN universes x 512 channels fading at "
            f"{BACKGROUND_FPS} fps ({per_frame:.1f} universes sent per frame, {sunk} packets); "
            f"sACN rate_rule: {self.rule.value}"
            + ("; the GOs' universe fading too" if self.go_universe_fading else "")
        )


async def run_phase(
    rounds: int, rx_port: int, sink_port: int, phase: Phase, catalog: ProfileCatalog
) -> tuple[list[Fired], float]:
    """Fire `rounds` GOs per protocol (plus warm-up) through a fresh engine loop; the GOs,
    and the background universes sent per frame."""
    background = phase.background
    clock = MonotonicClock()
    text = show_text(rounds + WARMUP_ROUNDS, rx_port, phase)
    show = load_show_text(text, "bench.yaml", catalog)
    drivers: dict[str, OutputDriver] = {}
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        assert profile is not None
        if name == "osc":
            drivers[name] = osc_output_for(device, profile, clock)
        elif name == "lx":
            drivers[name] = sacn_output_for(device, clock, None)
        elif name == "midi" and MIDI:
            drivers[name] = midi_output_for(device, profile, clock)
    kinds = [*BASELINES, "osc", "sacn", *(["midi"] if "midi" in drivers else [])]
    loop = asyncio.get_running_loop()
    base, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=("127.0.0.1", rx_port)
    )
    hops: asyncio.Queue[bytes] = asyncio.Queue()

    async def hop() -> None:
        while True:
            base.sendto(await hops.get())

    hop_task = asyncio.create_task(hop())
    engine = EngineLoop(CueEngine(show), clock, Router(drivers))
    bg_sender, per_frame = None, 0.0
    if background:
        bg_sender = await start_background(clock, sink_port, rounds * len(kinds) * 0.013 + 5)
    for driver in drivers.values():
        await driver.start()
    engine_task = asyncio.create_task(engine.run())
    fired: list[Fired] = []
    rng = random.Random(7)
    try:
        await asyncio.sleep(0.5)  # drivers settle, background reaches steady state
        for k in range(1, rounds + WARMUP_ROUNDS + 1):
            for kind in rng.sample(kinds, len(kinds)):
                await asyncio.sleep(rng.uniform(0.006, 0.020))
                offset = time.time_ns() - time.monotonic_ns()
                at_ns = time.monotonic_ns()
                if kind == "raw":
                    base.sendto(baseline_payload(kind, k))
                elif kind == "hop":
                    hops.put_nowait(baseline_payload(kind, k))
                else:
                    engine.submit(Go(source="bench", cue_list=kind))
                if k > WARMUP_ROUNDS:
                    fired.append(Fired(kind, k, at_ns, offset))
        await asyncio.sleep(0.1)  # the last frames go out
    finally:
        for task in (engine_task, hop_task):
            task.cancel()
            await asyncio.wait([task])
        for driver in drivers.values():
            await driver.aclose()
        if bg_sender is not None:
            stats = bg_sender.stats
            per_frame = sum(stats.frames_sent.values()) / max(1, stats.ticks)
            await bg_sender.aclose()
        base.close()
    return fired, per_frame


async def start_background(clock: MonotonicClock, port: int, seconds: float) -> SacnSender:
    """64 universes, every channel fading to a random level over the whole phase (as one
    big cue would start them), sent by the real SacnSender; the levels change every frame."""
    fader = DmxFader()
    sender = SacnSender(
        "bench-bg", uuid.uuid4(), clock, fps=BACKGROUND_FPS, port=port,
        bind_address="127.0.0.1", fader=fader,
    )  # fmt: skip
    rng = np.random.default_rng(1)
    for universe in range(1, BACKGROUND_UNIVERSES + 1):
        sender.add_universe(universe)
        targets = rng.uniform(0.0, 255.0, 512)
        fader.fade(universe, np.arange(512), targets, Curve.LINEAR, clock.now(), seconds)
    await sender.start()
    return sender


def latencies(
    fired: list[Fired], got: list[tuple[int, int, bytes]], kernel: bool, rule: RateRule
) -> dict[str, list[float]]:
    """Per kind, ms from each GO to its first packet (kernel or user-space arrival stamp);
    sACN GOs also under `sacn-held` (see the module docstring) or `sacn-free`."""
    result: dict[str, list[float]] = {}
    for shot in fired:
        arrivals = [
            ((k_ns - shot.realtime_offset) if kernel else user_ns, data)
            for k_ns, user_ns, data in got
        ]
        arrival = first_packet(shot, arrivals)
        if arrival is None:
            raise RuntimeError(f"no packet for {shot.kind} GO {shot.k}")
        latency = (arrival - shot.at_ns) / 1e6
        result.setdefault(shot.kind, []).append(latency)
        if shot.kind == "sacn":
            before = [t for t, data in arrivals if t < arrival and is_universe_1(data)]
            if rule is RateRule.INTERVAL:
                held = before[-1] > shot.at_ns - SACN_MIN_INTERVAL_NS
            else:  # 44 in the second before the GO
                held = len(before) >= MAX_RATE and before[-MAX_RATE] > shot.at_ns - 1e9
            result.setdefault(SACN_SPLIT[held], []).append(latency)
    return result


def first_packet(shot: Fired, arrivals: list[tuple[int, bytes]]) -> int | None:
    if shot.kind == "sacn":  # the first frame whose level differs from the one before
        levels = [(t, data[126]) for t, data in arrivals if is_universe_1(data)]
        before = [level for t, level in levels if t < shot.at_ns][-1]
        return next((t for t, level in levels if t >= shot.at_ns and level != before), None)
    match = matcher(shot.kind, shot.k)
    return next((t for t, data in arrivals if t >= shot.at_ns and match(data)), None)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


LABELS = {
    "raw": "baseline raw: UDP send at the stamp",
    "hop": "baseline hop: queue hop + UDP send",
    "osc": "OSC over UDP (generic-osc)",
    "sacn": "sACN (generic-sacn, 40 fps)",
    "sacn-free": "  sACN GOs free to go at once",
    "sacn-held": "  sACN GOs held by the rate rule",
    "midi": "MIDI over UDP (generic-midi cc)",
}


def print_phase(title: str, result: dict[str, list[float]]) -> dict[str, float]:
    print(f"\n{title}")
    header = f"{'':<36} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   p50/hop p99/hop"
    print(header + "\n" + "-" * len(header))
    base = result["hop"]
    base_p50, base_p99 = statistics.median(base), percentile(base, 0.99)
    p99s = {}
    for kind in [*BASELINES, "osc", "midi", "sacn", *SACN_SPLIT]:
        if kind not in result:
            continue
        samples = result[kind]
        p50, p99 = statistics.median(samples), percentile(samples, 0.99)
        if kind not in SACN_SPLIT:
            p99s[kind] = p99
        print(
            f"{LABELS[kind]:<36} {len(samples):>4} {p50:>8.3f} {p99:>8.3f} {max(samples):>8.3f}"
            f"   {p50 / base_p50:>7.1f} {p99 / base_p99:>7.1f}"
        )
    return p99s


def start_process(sink: bool) -> tuple[BaseProcess, Connection, int]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=receive, args=(child, sink), daemon=True)
    process.start()
    child.close()
    if not parent.poll(30):
        raise TimeoutError("the receiver process did not start")
    return process, parent, int(parent.recv())


def stop_process(process: BaseProcess, conn: Connection, port: int) -> Any:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stop:
        stop.sendto(STOP, ("127.0.0.1", port))
    if not conn.poll(60):
        raise TimeoutError("the receiver process did not answer")
    result = conn.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="GOs per protocol per phase")
    rounds = parser.parse_args().rounds
    print(f"machine: {describe_machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{rounds} GOs per protocol per phase (after {WARMUP_ROUNDS} warm-up), 6-20 ms apart in "
        "random order; GO stamped (CLOCK_MONOTONIC) before EngineLoop.submit;\nreceiver in "
        "its own process on 127.0.0.1; arrival = the kernel's receive stamp"
    )
    if not MIDI:
        print("MIDI: cuebridge.drivers.midi_output is missing; MIDI not measured")
    catalog = ProfileCatalog.load(default_profile_dirs())
    verdicts: list[tuple[Phase, str, float]] = []
    phases = [
        Phase(background=False),
        Phase(background=True),
        Phase(background=True, rule=RateRule.INTERVAL),
        Phase(background=True, go_universe_fading=True),
    ]
    for phase in phases:
        rx, rx_conn, rx_port = start_process(sink=False)
        sink, sink_conn, sink_port = start_process(sink=True)
        fired, per_frame = asyncio.run(run_phase(rounds, rx_port, sink_port, phase, catalog))
        got = stop_process(rx, rx_conn, rx_port)
        sunk = stop_process(sink, sink_conn, sink_port)
        kernel = all(stamp >= 0 for stamp, _, _ in got)
        where = "" if kernel else " (no kernel stamps: arrival = when recv() returned)"
        p99s = print_phase(phase.title(per_frame, sunk) + where,
                           latencies(fired, got, kernel, phase.rule))  # fmt: skip
        if phase.background:
            verdicts += [(phase, kind, p99) for kind, p99 in p99s.items() if kind not in BASELINES]
    print(f"\ntarget: p99 < {TARGET_P99_MS:g} ms with {BACKGROUND_UNIVERSES} universes fading")
    for phase, kind, p99 in verdicts:
        verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
        where = ", GO universe fading" if phase.go_universe_fading else ""
        print(f"  {LABELS[kind]:<34} {phase.rule.value + where:<30} p99 {p99:7.3f} ms: {verdict}")
    print(
        "sACN GOs come ~65 ms apart on one universe (15 a second, far more than a show's),\n"
        "each with 3 sends of its change. Under `window` (at most 44 packets of a universe in\n"
        "any second; repeats of unchanged levels leave 4 of them to GOs) they go at once while\n"
        "the universe has room: a GO replaces its next frame when it comes less than\n"
        "1/44 s before it. Under `interval` (never two packets less than 1/44 s apart) many\n"
        "land within 1/44 s of a repeat or frame and wait (the 'held' rows)."
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
