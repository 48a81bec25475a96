"""Health of one OSC device: liveness probes, keep-alives, and the status the operator sees."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Final

from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.osc_link import OscTransport, stop_task
from cuebridge.protocols.osc import OscBundle, OscMessage, decode_packet
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

ERROR_HOLD: Final = 2.5
"""Without a probe, a device refused by ICMP is ok again once a send is this old with no error.

Longer than Linux's default ICMP rate limit (1 s per peer), so a device that keeps refusing
does not flicker back to ok between two refusals."""


@dataclass(frozen=True, slots=True)
class Probe:
    """A message the device always answers, sent every `interval` s while connected.

    Each probe waits `timeout` s (at most `interval`) for a message at `reply`; `misses`
    unanswered probes in a row make the device unreachable, one answer makes it ok again.
    """

    packet: bytes
    address: str
    """The probe's own address, for messages."""
    reply: str
    interval: float = 1.0
    timeout: float = 1.0
    misses: int = 3

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval) and 0 < self.timeout <= self.interval):
            raise ValueError("a probe needs 0 < timeout <= interval")
        if self.misses < 1:
            raise ValueError("a probe needs misses >= 1")


@dataclass(frozen=True, slots=True)
class Keepalive:
    """Packets re-sent every `every` seconds while connected (subscription renewals)."""

    packets: tuple[bytes, ...]
    every: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.every) and self.every > 0) or not self.packets:
            raise ValueError("a keep-alive needs packets and every > 0")


@dataclass(frozen=True, slots=True)
class HealthPlan:
    """What a device's profile says about its health; all optional."""

    probe: Probe | None = None
    keepalive: Keepalive | None = None
    greeting: tuple[bytes, ...] = ()
    """Sent first on every new connection (UDP: at start), before anything queued."""


class OscHealth:
    """Watches one device and reports its status through `report` whenever it changes.

    The transport's link comes first: a TCP device that is connecting or refusing shows
    that. While the link is up, a device with a probe is ok as long as it answers (connecting
    until its first answer, unreachable after `misses` silent probes or an ICMP refusal); a
    device without one is ok while sends succeed, unreachable after an ICMP refusal until a
    send goes `error_hold` s without one. Everything runs on callbacks and one small task:
    nothing here ever waits on the device, so a dead or slow device delays nobody.
    """

    def __init__(
        self,
        name: str,
        transport: OscTransport,
        clock: Clock,
        plan: HealthPlan | None = None,
        report: StatusReporter = ignore_status,
        *,
        error_hold: float = ERROR_HOLD,
    ) -> None:
        self._name, self._transport, self._clock = name, transport, clock
        self._error_hold = error_hold
        self._plan = plan = plan or HealthPlan()
        self._report = report
        self._status, self._detail = DeviceStatus.UNKNOWN, ""
        self._up = False
        self._fresh = False  # the link just came up: send keep-alive and probe at once
        self._sent_at: float | None = None  # the probe waiting for its answer
        self._silent_since: float | None = None  # first of the current run of unanswered probes
        self._misses = 0
        self._refused_at: float | None = None  # last ICMP refusal while no probe says otherwise
        self._recovery: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.answered = 0
        """Probes answered in time."""
        self.late = 0
        """Probe replies that came after their probe's timeout (not counted as answers)."""
        transport.on_status = self._on_link
        transport.on_error = self._on_error
        transport.on_packet = self._on_packet
        transport.greeting = plan.greeting

    @property
    def status(self) -> DeviceStatus:
        """The device's status as last reported."""
        return self._status

    @property
    def detail(self) -> str:
        """Why, in a few words ("no /xinfo reply for 3 s")."""
        return self._detail

    def start(self) -> None:
        """Start probing and keep-alives (call after the transport started)."""
        if self._task is None and (self._plan.probe or self._plan.keepalive):
            self._task = asyncio.create_task(self._run(), name=f"osc-health {self._name}")

    async def aclose(self) -> None:
        """Stop the task; the transport is closed by its owner."""
        if self._recovery is not None:
            self._recovery.cancel()
        task, self._task = self._task, None
        await stop_task(task)

    def note_sent(self) -> None:
        """A packet went out: without a probe, this is how an ICMP refusal is found to be over."""
        if self._refused_at is None or self._recovery is not None or self._plan.probe:
            return
        sent_at = self._clock.now()
        loop = asyncio.get_running_loop()
        self._recovery = loop.call_later(self._error_hold, self._check_recovered, sent_at)

    # --- transport callbacks ------------------------------------------------------------

    def _on_link(self, status: DeviceStatus, detail: str) -> None:
        self._sent_at = self._silent_since = None
        self._misses = 0
        self._wake.set()
        if status is not DeviceStatus.OK:
            self._up = False
            self._set(status, detail)
            return
        self._up, self._fresh = True, True
        if self._probe is not None:
            self._set(DeviceStatus.CONNECTING, f"{detail}; waiting for a {self._probe.reply} reply")
        else:
            self._set(DeviceStatus.OK, detail)

    def _on_error(self, detail: str) -> None:
        self._refused_at = self._clock.now()
        self._set(DeviceStatus.UNREACHABLE, detail)

    def _on_packet(self, packet: bytes) -> None:
        probe = self._probe
        if probe is None or not _holds(packet, probe.reply):
            return
        if self._sent_at is None:
            self.late += 1
            return
        self.answered += 1
        self._sent_at = self._silent_since = self._refused_at = None
        self._misses = 0
        self._set(DeviceStatus.OK, f"answers {probe.address}")

    # --- the probe and keep-alive task --------------------------------------------------

    @property
    def _probe(self) -> Probe | None:
        return self._plan.probe if self._up else None

    async def _run(self) -> None:
        probe, keepalive = self._plan.probe, self._plan.keepalive
        next_probe = next_keepalive = math.inf
        while True:
            self._wake.clear()
            if not self._up:
                await self._wake.wait()
                continue
            now = self._clock.now()
            if self._fresh:
                self._fresh = False
                next_probe = now if probe else math.inf
                next_keepalive = now if keepalive else math.inf
            if probe and self._sent_at is not None and now >= self._sent_at + probe.timeout:
                self._missed(probe, now)
            if keepalive and now >= next_keepalive:
                for packet in keepalive.packets:
                    self._transport.send(packet)
                next_keepalive = _next(next_keepalive, keepalive.every, now)
            if probe and now >= next_probe:
                if self._sent_at is not None:  # its window closed as the next one opens
                    self._missed(probe, now)
                self._sent_at = now
                self._transport.send(probe.packet)
                next_probe = _next(next_probe, probe.interval, now)
            due = min(next_probe, next_keepalive)
            if probe and self._sent_at is not None:
                due = min(due, self._sent_at + probe.timeout)
            try:
                async with asyncio.timeout(max(0.0, due - self._clock.now())):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _missed(self, probe: Probe, now: float) -> None:
        if self._silent_since is None:
            self._silent_since = self._sent_at
        self._sent_at = None
        self._misses += 1
        if self._misses >= probe.misses and self._status is not DeviceStatus.UNREACHABLE:
            silent = now - (self._silent_since if self._silent_since is not None else now)
            self._set(DeviceStatus.UNREACHABLE, f"no {probe.reply} reply for {silent:.3g} s")

    def _check_recovered(self, sent_at: float) -> None:
        self._recovery = None
        refused_at = self._refused_at
        if refused_at is not None and refused_at < sent_at and self._up:
            self._refused_at = None
            self._set(DeviceStatus.OK, f"sending, no refusal for {self._error_hold:g} s")

    def _set(self, status: DeviceStatus, detail: str) -> None:
        if (status, detail) == (self._status, self._detail):
            return
        self._status, self._detail = status, detail
        logger.debug("%s: %s (%s)", self._name, status.value, detail)
        try:
            self._report(status, detail)
        except Exception:
            logger.exception("%s: status reporter failed", self._name)


def _next(previous: float, period: float, now: float) -> float:
    """The next tick on the grid `previous + k * period` after `now` (no bursts after a stall)."""
    if not math.isfinite(previous) or now - previous >= period:
        return now + period
    return previous + period


def _holds(packet: bytes, address: str) -> bool:
    """Whether `packet` is (or a bundle holds) a message to `address`."""
    if address.encode() not in packet:  # cheap filter before decoding
        return False
    try:
        decoded = decode_packet(packet)
    except ValueError:  # OscDecodeError: a malformed reply is not an answer
        return False
    return _contains(decoded, address)


def _contains(packet: OscMessage | OscBundle, address: str) -> bool:
    if isinstance(packet, OscMessage):
        return packet.address == address
    return any(_contains(element, address) for element in packet.elements)
