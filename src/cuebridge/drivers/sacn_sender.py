"""Asyncio sACN (E1.31) source: paced frames, prompt changes, keep-alive, termination."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from cuebridge.config.device_options import RateRule
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_pacing import MAX_RATE, MIN_INTERVAL, Pacer
from cuebridge.protocols import sacn as e131

logger = logging.getLogger(__name__)

MAX_FPS: Final = float(MAX_RATE)  # E1.11 DMX timing for 512 slots
FRAME_SLICE: Final = 0.0001  # s of frame work between chances for other tasks to run
MAX_KEEPALIVE: Final = 1.0  # E1.31 §6.6.2: keep-alive every 800-1000 ms while suppressing
SENDS_PER_CHANGE: Final = 3  # E1.31 §6.6.2: final values go out three times before suppression
_ERROR_LOG_INTERVAL: Final = 10.0  # seconds between warnings about one universe's send errors
_TIME_SLACK: Final = 1e-6  # float noise in frame times must not delay a keep-alive by a frame

SlotValues = NDArray[np.uint8] | bytes | bytearray | memoryview


class Clock(Protocol):
    """Monotonic seconds; `cuebridge.runtime.clock` provides them (drivers don't import it)."""

    def now(self) -> float:
        """Current monotonic time."""
        ...


@dataclass(slots=True)
class SenderStats:
    """Live counters of one sender; read them, don't change them."""

    frames_sent: dict[int, int] = field(default_factory=dict)  # data packets, per universe
    send_errors: int = 0
    errors_by_universe: dict[int, int] = field(default_factory=dict)  # 0: reported later
    sync_sent: int = 0
    ticks: int = 0
    skipped_frames: int = 0  # frames dropped because the event loop was blocked too long
    prompt_sent: int = 0  # data packets sent between frames by `send_soon`
    prompt_held: int = 0  # `send_soon` universes that had to wait for the rate rule
    last_error: str | None = None


class _Output:
    """One universe's stream: its packet template, current slots, suppression and pacing state."""

    __slots__ = (
        "address",
        "last_sent",
        "levels",
        "pacer",
        "prompt_at",
        "sends_left",
        "sequence",
        "sync_to",
        "template",
    )

    def __init__(
        self,
        template: e131.DataPacketTemplate,
        address: tuple[str, int],
        sync_to: tuple[str, int],
        pacer: Pacer,
    ) -> None:
        self.template, self.address, self.sync_to = template, address, sync_to
        self.levels = bytes(e131.MAX_SLOTS)
        self.sequence = 0
        self.sends_left = SENDS_PER_CHANGE
        self.last_sent = -math.inf  # time of the last packet: keep-alives count from it
        self.pacer = pacer
        self.prompt_at = -math.inf  # when the last packet sent between frames went out

    def update(self, levels: bytes) -> None:
        if levels != self.levels:
            self.levels = levels
            self.sends_left = SENDS_PER_CHANGE


class _SenderProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_error: Callable[[Exception], None], closed: asyncio.Future[None]) -> None:
        self._on_error, self.closed = on_error, closed

    def error_received(self, exc: Exception) -> None:
        self._on_error(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class SacnSender:
    """Sends sACN universes from the event loop: one UDP socket, one frame task, no threads.

    Each frame (every 1/fps s, scheduled from the start time so that it does not drift) renders
    the optional `DmxFader` at the frame's time, then sends a universe only if it changed within
    its last three frames or its keep-alive is due. A universe's slots come from `set_levels`
    or from the fader, whichever changed last. `send_soon` sends a change between frames (a
    GO's levels) as soon as `rate_rule` allows; the first frame after such a packet skips the
    universe when it comes less than 1/44 s after it. Repeats of unchanged levels are the
    packets that wait when a universe nears its 44 packets a second; `fps` below 10 stretches
    keep-alives past E1.31's 1 s (only tests use that). The frame task lets
    other tasks run every `FRAME_SLICE` s of a long frame. A send error is counted and logged,
    never fatal. Without the frame task (`start(run_frames=False)`), `tick` sends a frame on
    demand: that is how tests drive a sender from a `FakeClock`.
    """

    def __init__(
        self,
        source_name: str,
        cid: uuid.UUID,
        clock: Clock,
        *,
        fps: float = 40.0,
        keepalive: float = 0.9,
        port: int = e131.SACN_PORT,
        bind_address: str = "0.0.0.0",
        sync_universe: int | None = None,
        fader: DmxFader | None = None,
        multicast_ttl: int = 1,
        multicast_interface: str | None = None,
        rate_rule: RateRule = RateRule.WINDOW,
    ) -> None:
        if not 0.0 < fps <= MAX_FPS:
            raise ValueError(f"sACN fps must be above 0 and at most {MAX_FPS:g}, got {fps}")
        if not 0.0 < keepalive <= MAX_KEEPALIVE:
            raise ValueError(f"sACN keep-alive must be 0-{MAX_KEEPALIVE:g} s, got {keepalive}")
        if sync_universe == 0:
            raise ValueError("sync universe must be 1-63999, or None for no synchronization")
        # checks the source name and the sync universe before anything is sent
        e131.DataPacketTemplate(cid.bytes, source_name, 1, sync_address=sync_universe or 0)
        self._name, self._cid, self._clock, self._fader = source_name, cid, clock, fader
        self._fps, self._keepalive, self._port, self._bind = fps, keepalive, port, bind_address
        self._sync_universe = sync_universe
        self._sync_sequence = 0
        self._ttl, self._interface = multicast_ttl, multicast_interface
        self._rule = RateRule(rate_rule)
        self._outputs: dict[int, _Output] = {}
        self._pacers: dict[int, Pacer] = {}
        self._stats = SenderStats()
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _SenderProtocol | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._sending = 0  # the universe being sent, to attribute synchronous send errors
        self._warned_at: dict[int, float] = {}
        self._prompt: dict[int, float] = {}  # universe -> when `send_soon` last asked for it
        self._prompt_timer: asyncio.Handle | None = None
        self._prompt_due = math.inf
        self._resync: set[int] = set()  # sampled between frames: next frame re-reads the fader

    @property
    def stats(self) -> SenderStats:
        """Packet and error counters."""
        return self._stats

    @property
    def universes(self) -> tuple[int, ...]:
        """The universes being sent."""
        return tuple(self._outputs)

    def add_universe(
        self,
        universe: int,
        priority: int = e131.DEFAULT_PRIORITY,
        destination: str = "127.0.0.1",
        multicast: bool = False,
        port: int | None = None,
    ) -> None:
        """Start sending `universe` (dark until given levels) by unicast or to its group."""
        if universe in self._outputs:
            raise ValueError(f"universe {universe} is already being sent")
        port = self._port if port is None else port
        group = e131.multicast_group(universe)
        host = group if multicast else str(ipaddress.IPv4Address(destination))
        sync = self._sync_universe or 0
        template = e131.DataPacketTemplate(
            self._cid.bytes, self._name, universe, e131.MAX_SLOTS, priority, sync
        )
        sync_to = (e131.multicast_group(sync), port) if multicast and sync else (host, port)
        pacer = self._pacers.setdefault(universe, Pacer(self._rule))  # kept if re-added
        output = self._outputs[universe] = _Output(template, (host, port), sync_to, pacer)
        if self._fader is not None:  # the fader reports a universe's frame only when it changes
            output.levels = self._fader.frame(universe).tobytes()
        self._stats.frames_sent.setdefault(universe, 0)

    def remove_universe(self, universe: int) -> None:
        """Stop sending `universe`, with stream-termination packets if the sender is running."""
        output = self._outputs.pop(universe)
        if self._transport is not None and not self._closed:
            self._terminate(universe, output)

    def set_levels(self, universe: int, levels: SlotValues) -> None:
        """Give `universe` new slot values (uint8 array or bytes, up to 512; the rest are 0)."""
        output = self._outputs.get(universe)
        if output is None:
            raise KeyError(f"universe {universe} is not being sent")
        if isinstance(levels, np.ndarray) and levels.dtype != np.uint8:
            raise ValueError(f"levels must be uint8, got {levels.dtype}")
        data = levels.tobytes() if isinstance(levels, np.ndarray) else bytes(levels)
        if len(data) > e131.MAX_SLOTS:
            raise ValueError(f"a universe has at most {e131.MAX_SLOTS} slots, got {len(data)}")
        output.update(data.ljust(e131.MAX_SLOTS, b"\0"))

    def send_soon(self, universes: Iterable[int]) -> None:
        """Send these universes' current levels between frames, as soon as E1.31 allows.

        They go out once the running event-loop callback returns (so that effects handed over
        together share a packet) or, when the rate rule holds a universe back (`window`: it
        sent 44 packets in the last second; `interval`: its last packet is under 1/44 s old),
        at the instant it allows, unless a frame sends the change first. Levels are
        sampled from the fader at sending time (for universes it has) or are those given to
        `set_levels`; such a packet is the first of a change's three sends, and a universe
        whose current levels already went out is left to the frames. Fades still move on
        the frames. Unknown universes are ignored, and so is everything while not running.
        """
        if self._transport is None or self._closed:
            return
        now = self._clock.now()
        for universe in universes:
            output = self._outputs.get(universe)
            if output is not None:
                self._prompt[universe] = now
                self._stats.prompt_held += now < output.pacer.next_prompt()
        if self._prompt:
            self._arm_prompt(now)

    async def start(self, *, run_frames: bool = True) -> None:
        """Open the socket and start the frame task (without it, call `tick` yourself)."""
        if self._closed or self._transport is not None:
            raise RuntimeError("an sACN sender starts once")
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self._ttl)
            if self._interface is not None:
                interface = socket.inet_aton(self._interface)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, interface)
            sock.bind((self._bind, 0))
            closed: asyncio.Future[None] = loop.create_future()
            self._transport, self._protocol = await loop.create_datagram_endpoint(
                lambda: _SenderProtocol(self._send_failed, closed), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        if run_frames:
            self._task = asyncio.create_task(self._run_frames(), name=f"sACN {self._name}")
            self._task.add_done_callback(_log_failure)

    def tick(self, now: float | None = None) -> int:
        """Send everything due at `now` (default: the clock's now); return data packets sent."""
        if self._transport is None or self._closed:
            raise RuntimeError("the sACN sender is not running")
        now = self._clock.now() if now is None else now
        return sum(self._frame(now, math.inf))

    async def aclose(self) -> None:
        """Stop the frame task, send 3 stream-terminated packets per universe, close; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._prompt_timer is not None:
            self._prompt_timer.cancel()
        if (task := self._task) is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise
            except Exception:  # a crashed frame task was logged by _log_failure
                pass
        if self._transport is not None and self._protocol is not None:
            for universe, output in self._outputs.items():
                self._terminate(universe, output)
            self._transport.close()
            try:
                async with asyncio.timeout(1.0):
                    await self._protocol.closed
            except TimeoutError:
                self._transport.abort()

    async def _run_frames(self) -> None:
        period = 1.0 / self._fps
        start = self._clock.now()
        frame = 0
        while True:
            due = start + frame * period
            delay = due - self._clock.now()
            if delay > 0.0:
                await asyncio.sleep(delay)
            elif delay < -period:  # the loop was blocked: skip the missed frames, don't burst
                missed = int(-delay // period)
                frame += missed
                self._stats.skipped_frames += missed
                due = start + frame * period
            # frame times, not wake-up times: fades sampled without jitter
            for _ in self._frame(due, FRAME_SLICE):
                await asyncio.sleep(0)
            frame += 1

    def _frame(self, now: float, time_slice: float) -> Iterator[int]:
        """Send the frame due at `now`, yielding (packets sent) after each `time_slice` s."""
        self._render(now)
        outputs, prompt, keepalive = self._outputs, self._prompt, self._keepalive - _TIME_SLACK
        sent = total = 0
        sync_to: set[tuple[str, int]] = set()
        slice_end = self._clock.now() + time_slice
        for universe, output in list(outputs.items()):
            if outputs.get(universe) is not output:
                continue  # removed while other tasks ran
            if now - output.prompt_at < MIN_INTERVAL - _TIME_SLACK:
                output.prompt_at = -math.inf  # a GO sent less than 1/44 s before replaced it
                continue
            keepalive_due = now - output.last_sent >= keepalive
            if output.sends_left:  # a keep-alive due must not wait for the GOs' reserve
                redundant = output.sends_left < SENDS_PER_CHANGE and not keepalive_due
            elif keepalive_due:
                redundant = False
            else:
                continue
            if now < output.pacer.next_frame(redundant=redundant) - _TIME_SLACK:
                continue  # over the rate rule: a later frame sends it
            output.sends_left -= output.sends_left > 0
            self._send_data(universe, output, now, frame=True)
            if prompt.get(universe, math.inf) <= now:
                del prompt[universe]  # this frame carries the levels it was asked for
            sent += 1
            sync_to.add(output.sync_to)
            if self._clock.now() >= slice_end:
                yield sent
                total, sent = total + sent, 0
                slice_end = self._clock.now() + time_slice
        if self._sync_universe is not None and total + sent:
            self._send_sync(self._sync_universe, sync_to)
        self._stats.ticks += 1
        yield sent

    def _render(self, now: float) -> None:
        """Give each universe its fader frame at `now` (the changed ones, and those resynced)."""
        if self._fader is None:
            return
        outputs = self._outputs
        for universe, frame in self._fader.render(now).items():
            if (output := outputs.get(universe)) is not None:
                output.update(frame.tobytes())
        for universe in self._resync:  # their levels were sampled, not rendered, last time
            if (output := outputs.get(universe)) is not None:
                output.update(self._fader.frame(universe).tobytes())
        self._resync.clear()

    def _arm_prompt(self, at: float) -> None:
        """Run `_send_prompt` at clock time `at` (now or later), unless it runs sooner."""
        if at >= self._prompt_due:
            return
        if self._prompt_timer is not None:
            self._prompt_timer.cancel()
        loop, delay = asyncio.get_running_loop(), at - self._clock.now()
        self._prompt_due = at
        if delay > 0.0:
            self._prompt_timer = loop.call_later(delay, self._send_prompt)
        else:
            self._prompt_timer = loop.call_soon(self._send_prompt)

    def _send_prompt(self) -> None:
        """Send the `send_soon` universes the rate rule allows; wait for the others."""
        self._prompt_timer, self._prompt_due = None, math.inf
        if self._transport is None or self._closed:
            return
        fader = self._fader
        sampled = set(fader.universes) if fader is not None else set()
        sent, wait_until = 0, math.inf
        sync_to: set[tuple[str, int]] = set()
        for universe in list(self._prompt):
            output = self._outputs.get(universe)
            if output is None:
                del self._prompt[universe]
                continue
            now = self._clock.now()  # per universe: an earlier send may have been slow
            if now < (allowed := output.pacer.next_prompt()):
                wait_until = min(wait_until, allowed)
                continue
            del self._prompt[universe]
            if fader is not None and universe in sampled:
                output.update(fader.sample(universe, now).tobytes())
                self._resync.add(universe)
            if output.sends_left < SENDS_PER_CHANGE:
                continue  # these levels went out already
            output.sends_left -= 1
            output.prompt_at = self._send_data(universe, output, now, frame=False)
            sent += 1
            sync_to.add(output.sync_to)
        if self._sync_universe is not None and sent:
            self._send_sync(self._sync_universe, sync_to)
        self._stats.prompt_sent += sent
        if wait_until < math.inf:
            self._arm_prompt(wait_until)

    def _send_data(self, universe: int, output: _Output, at: float, *, frame: bool) -> float:
        """Send the universe's levels as its packet of time `at` (a frame's, or now); return
        when it went. The rate rule counts a frame at its time, another packet when it went."""
        self._send(universe, output, 0)
        wire = max(at, self._clock.now())
        output.last_sent = at
        output.pacer.record(at if frame else wire, wire)
        return wire

    def _send(self, universe: int, output: _Output, options: int) -> None:
        assert self._transport is not None
        packet = output.template.render(output.sequence, output.levels, options)
        output.sequence = (output.sequence + 1) & 0xFF
        errors, self._sending = self._stats.send_errors, universe
        self._transport.sendto(packet, output.address)  # OSError -> error_received
        self._sending = 0
        if self._stats.send_errors == errors:
            self._stats.frames_sent[universe] += 1

    def _send_sync(self, sync_universe: int, destinations: set[tuple[str, int]]) -> None:
        assert self._transport is not None
        packet = e131.build_sync_packet(self._cid.bytes, sync_universe, self._sync_sequence)
        self._sync_sequence = (self._sync_sequence + 1) & 0xFF
        for address in destinations:
            errors = self._stats.send_errors
            self._transport.sendto(packet, address)
            self._stats.sync_sent += self._stats.send_errors == errors

    def _terminate(self, universe: int, output: _Output) -> None:
        for _ in range(e131.TERMINATION_PACKETS):
            self._send(universe, output, e131.DataOptions.TERMINATED)

    def _send_failed(self, exc: Exception) -> None:
        stats, universe = self._stats, self._sending
        stats.send_errors += 1
        stats.errors_by_universe[universe] = stats.errors_by_universe.get(universe, 0) + 1
        stats.last_error = str(exc)
        now = self._clock.now()
        if now - self._warned_at.get(universe, -math.inf) >= _ERROR_LOG_INTERVAL:
            self._warned_at[universe] = now
            where = f"universe {universe}" if universe else "a universe"
            logger.warning("%s: sending %s failed: %s (counted, retried)", self._name, where, exc)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        logger.error("sACN frame task %s stopped", task.get_name(), exc_info=exc)
