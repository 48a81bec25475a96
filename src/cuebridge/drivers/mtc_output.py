"""MIDI timecode output: quarter frames while running, a full frame on every locate."""

from __future__ import annotations

import asyncio
import logging
import math

from cuebridge.drivers.midi_transport import MidiSender
from cuebridge.drivers.osc_transport import stop_task
from cuebridge.protocols.mtc import FrameRate, QuarterFrameScheduler, Timecode, full_frame
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)


class MtcOutput:
    """Generates MTC on a MIDI sender from the injected clock, on the event loop.

    `start(at)` sends a full frame at `at`, then quarter frames (4 per frame: 100/s at 25
    fps); `stop()` stops them and holds the position; `locate(tc)` sends a full frame and,
    when running, carries on from `tc`. Each quarter frame's due time is computed from the
    start time (QuarterFrameScheduler), so timing does not drift however late the loop
    wakes; after a stall longer than two frames the backlog is skipped, not burst out.

    The sender belongs to the caller (it may also carry a device's other MIDI): open it
    before `start` and close it after `aclose`. With `run=False` nothing is scheduled and
    the caller drives `tick()` (tests with a FakeClock).
    """

    def __init__(
        self,
        sender: MidiSender,
        clock: Clock,
        rate: FrameRate = FrameRate.FPS_25,
        *,
        device_id: int = 0x7F,
        run: bool = True,
    ) -> None:
        if not 0 <= device_id <= 0x7F:
            raise ValueError(f"MTC device id must be 0-127, got {device_id}")
        self._sender = sender
        self._clock = clock
        self.rate = rate
        self.device_id = device_id
        self._run = run
        self._held = Timecode(0, 0, 0, 0, rate)
        self._scheduler: QuarterFrameScheduler | None = None
        self._started_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.quarter_frames = 0
        """Quarter-frame messages sent."""
        self.full_frames = 0
        """Full-frame (locate) messages sent."""

    @property
    def running(self) -> bool:
        """True while quarter frames are being sent."""
        return self._scheduler is not None

    @property
    def skipped(self) -> int:
        """Quarter frames skipped after stalls in the current run."""
        return self._scheduler.skipped if self._scheduler is not None else 0

    def position(self) -> Timecode:
        """The timecode now: running time, or where it stopped or was located."""
        if self._scheduler is None:
            return self._held
        elapsed = max(0.0, self._clock.now() - self._started_at)
        frames = math.floor(elapsed * float(self.rate.frames_per_second) + 1e-6)
        return self._scheduler.start.add_frames(frames)

    def start(self, at: Timecode | None = None) -> None:
        """Locate to `at` (default: the held position) and run from there."""
        self._begin(self._check(at) if at is not None else self._held)

    def stop(self) -> None:
        """Stop sending quarter frames; the position holds where it was."""
        if self._scheduler is None:
            return
        self._held = self.position()
        self._scheduler = None
        self._wake.set()

    def locate(self, tc: Timecode) -> None:
        """Jump to `tc`: a full frame now, and quarter frames from there if running."""
        tc = self._check(tc)
        if self._scheduler is not None:
            self._begin(tc)
        else:
            self._held = tc
            self._send_full_frame(tc)

    def tick(self) -> int:
        """Send the quarter frames due now; how many went out."""
        scheduler = self._scheduler
        if scheduler is None:
            return 0
        messages = scheduler.due(self._clock.now() - self._started_at)
        if messages:
            self.quarter_frames += len(messages)
            self._sender.send(messages)
        return len(messages)

    async def aclose(self) -> None:
        """Stop running and end the scheduling task; idempotent (the sender stays open)."""
        self.stop()
        task, self._task = self._task, None
        await stop_task(task)

    def _check(self, tc: Timecode) -> Timecode:
        if tc.rate is not self.rate:
            raise ValueError(f"timecode {tc} is not at this output's rate ({self.rate.name})")
        return tc

    def _begin(self, at: Timecode) -> None:
        self._send_full_frame(at)
        self._held = at
        self._scheduler = QuarterFrameScheduler(at)
        self._started_at = self._clock.now()
        if self._run and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="mtc-output")
        self._wake.set()

    def _send_full_frame(self, tc: Timecode) -> None:
        self.full_frames += 1
        self._sender.send([full_frame(tc, self.device_id)])

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            scheduler = self._scheduler
            if scheduler is None:
                await self._wake.wait()
                continue
            self.tick()
            due = self._started_at + scheduler.next_due()
            try:
                async with asyncio.timeout(max(0.0, due - self._clock.now())):
                    await self._wake.wait()  # a locate or stop re-plans at once
            except TimeoutError:
                pass
