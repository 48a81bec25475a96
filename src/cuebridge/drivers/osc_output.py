"""OSC output driver: renders effects to OSC messages and samples fades at a fixed frame rate."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence

from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.model import ParamKey, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_transport import OscTransport, stop_task
from cuebridge.protocols.osc import OscBundle, OscMessage, encode_packet
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

Render = Callable[[str, Mapping[str, ParamValue]], Sequence[OscMessage | OscBundle]]
"""(action name, parameters) -> the packets to send; supplied by the device profile."""


class OscOutput:
    """One OSC device: sends actions at once and runs its fades on one shared frame clock.

    Frames are spaced 1/fade_rate apart from the moment the first fade became active, so
    they do not drift; a late frame is skipped, never sent in a burst. Each fade also gets
    one frame with its exact end values at its end time, then it is dropped. With no active
    fade the sampler sleeps until a fade is due or a new one arrives.
    """

    def __init__(
        self,
        name: str,
        transport: OscTransport,
        render: Render,
        clock: Clock,
        fade_rate: float = 30.0,
    ) -> None:
        if not (math.isfinite(fade_rate) and fade_rate > 0):
            raise ValueError(f"fade_rate must be a positive number, got {fade_rate!r}")
        self._name = name
        self._transport = transport
        self._render = render
        self._clock = clock
        self._period = 1.0 / fade_rate
        self._fades: dict[ParamKey, StartFade] = {}
        self._wake = asyncio.Event()
        self._sampler: asyncio.Task[None] | None = None
        self._closed = False
        self.render_errors = 0
        """Effects (or fade frames) that could not be rendered or encoded."""

    @property
    def name(self) -> str:
        """The device name from the show."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """The transport's status."""
        return self._transport.status

    @property
    def fading(self) -> int:
        """Number of fades running or waiting to begin."""
        return len(self._fades)

    async def start(self) -> None:
        """Open the transport and start the (idle) fade sampler."""
        if self._closed or self._sampler is not None:
            raise RuntimeError(f"OSC output {self._name!r} already started or closed")
        await self._transport.start()
        self._sampler = asyncio.create_task(self._sample_loop(), name=f"osc-fades {self._name}")

    def send(self, effect: Effect) -> None:
        """Send an action now (ending any fade on its target) or start/replace a fade."""
        if self._closed:
            return
        if isinstance(effect, StartFade):
            self._fades[effect.key] = effect
            self._wake.set()
            return
        self._fades.pop(effect.key, None)
        self._emit(effect, effect.params)

    async def aclose(self) -> None:
        """Stop the sampler, forget pending fades and close the transport; idempotent."""
        if self._closed:
            return
        self._closed = True
        sampler, self._sampler = self._sampler, None
        self._fades.clear()
        try:
            await stop_task(sampler)
        finally:
            await self._transport.aclose()

    def _emit(self, effect: Effect, params: Mapping[str, ParamValue]) -> bool:
        """Render, encode and send; False (logged) if the profile could not render it."""
        try:
            packets = [encode_packet(packet) for packet in self._render(effect.action, params)]
        except Exception:
            self.render_errors += 1
            logger.exception(
                "%s: cannot render %s %s (cue %s)", self._name, effect.action, params, effect.cue
            )
            return False
        for packet in packets:
            self._transport.send(packet)
        return True

    async def _sample_loop(self) -> None:
        anchor: float | None = None  # time of frame 0 of the current run of frames
        next_frame = 0.0
        while True:
            self._wake.clear()
            now = self._clock.now()
            on_frame = anchor is not None and now >= next_frame
            if anchor is None and any(fade.begin <= now for fade in self._fades.values()):
                anchor, next_frame, on_frame = now, now, True
            if on_frame and anchor is not None:
                # skip frames we are late for rather than catching up in a burst
                next_frame = anchor + (math.floor((now - anchor) / self._period) + 1) * self._period
            self._frame(now, on_frame)
            begun = [fade for fade in self._fades.values() if fade.begin <= now]
            if not begun:
                anchor = None
                due = min((fade.begin for fade in self._fades.values()), default=None)
                await self._idle(due)
                continue
            deadline = min(next_frame, *(fade.begin + fade.duration for fade in begun))
            await asyncio.sleep(max(0.0, deadline - self._clock.now()))

    def _frame(self, now: float, on_frame: bool) -> None:
        """Finish the fades that ended and, on a frame tick, send the running ones."""
        for key, fade in list(self._fades.items()):
            end = fade.begin + fade.duration
            if now >= end:
                del self._fades[key]
                self._emit(fade, fade.params_at(end))
            elif on_frame and now >= fade.begin and not self._emit(fade, fade.params_at(now)):
                # it would fail again every frame: drop it rather than flood the log
                del self._fades[key]

    async def _idle(self, due: float | None) -> None:
        """Sleep until `due` (clock time) or until a fade is added."""
        delay = None if due is None else max(0.0, due - self._clock.now())
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            pass
