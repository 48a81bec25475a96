"""Fade sampler shared by the OSC and MIDI outputs: one drift-free frame clock for all fades."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping

from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.model import ParamKey, ParamValue
from cuebridge.drivers.osc_link import stop_task
from cuebridge.runtime.clock import Clock

Frame = tuple[bytes, ...]
"""The encoded messages of one frame of one fade."""

RenderFrame = Callable[[Effect, Mapping[str, ParamValue]], Frame | None]
"""(effect, parameters) -> the frame to send, or None when it cannot be rendered (logged)."""


class FadeSampler:
    """Runs fades keyed by target, sending a frame every 1/fade_rate seconds while any is active.

    Frames are spaced from the moment the first fade became active, so they do not drift; a
    late frame is skipped, never sent in a burst. Each fade ends with one frame at its exact
    end values, sent even if unchanged, then it is dropped. A fade whose frame cannot be
    rendered is dropped (it would fail again every frame). With `skip_repeats`, a frame equal
    to the last one sent for the same target is not sent again. With no active fade the
    sampler sleeps until a fade is due or a new one arrives.
    """

    def __init__(
        self,
        clock: Clock,
        fade_rate: float,
        render: RenderFrame,
        send: Callable[[Frame], None],
        *,
        skip_repeats: bool = False,
    ) -> None:
        if not (math.isfinite(fade_rate) and fade_rate > 0):
            raise ValueError(f"fade_rate must be a positive number, got {fade_rate!r}")
        self._clock = clock
        self._period = 1.0 / fade_rate
        self._render = render
        self._send = send
        self._skip_repeats = skip_repeats
        self._fades: dict[ParamKey, StartFade] = {}
        self._last_frame: dict[ParamKey, Frame] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        """Whether `start` has been called (and `aclose` not yet)."""
        return self._task is not None

    @property
    def fading(self) -> int:
        """Number of fades running or waiting to begin."""
        return len(self._fades)

    def start(self, task_name: str) -> None:
        """Start the sampler task (idle until a fade is added)."""
        if self._task is not None:
            raise RuntimeError(f"fade sampler {task_name!r} already started")
        self._task = asyncio.create_task(self._sample_loop(), name=task_name)

    def apply(self, effect: Effect) -> None:
        """Start a fade, or end the fade on the effect's target and send the effect now."""
        if isinstance(effect, StartFade):
            self.add(effect)
            return
        self.cancel(effect.key)
        if (frame := self._render(effect, effect.params)) is not None:
            self._send(frame)

    def add(self, fade: StartFade) -> None:
        """Start a fade, replacing any fade on the same target."""
        self._fades[fade.key] = fade
        self._last_frame.pop(fade.key, None)
        self._wake.set()

    def cancel(self, key: ParamKey) -> None:
        """End the fade on `key` (if any) without a final frame."""
        self._fades.pop(key, None)
        self._last_frame.pop(key, None)

    async def aclose(self) -> None:
        """Forget pending fades and stop the sampler task; idempotent."""
        task, self._task = self._task, None
        self._fades.clear()
        self._last_frame.clear()
        await stop_task(task)

    def _frame(self, now: float, on_frame: bool) -> None:
        """Finish the fades that ended and, on a frame tick, send the running ones."""
        for key, fade in list(self._fades.items()):
            end = fade.begin + fade.duration
            if now >= end:
                del self._fades[key]
                self._last_frame.pop(key, None)
                if (final := self._render(fade, fade.params_at(end))) is not None:
                    self._send(final)
            elif on_frame and now >= fade.begin:
                frame = self._render(fade, fade.params_at(now))
                if frame is None:
                    del self._fades[key]
                    self._last_frame.pop(key, None)
                elif not (self._skip_repeats and frame == self._last_frame.get(key)):
                    self._last_frame[key] = frame
                    self._send(frame)

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

    async def _idle(self, due: float | None) -> None:
        """Sleep until `due` (clock time) or until a fade is added."""
        delay = None if due is None else max(0.0, due - self._clock.now())
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            pass
