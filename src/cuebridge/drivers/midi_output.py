"""MIDI output driver: renders effects through the profile's `midi:` section and runs fades."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from cuebridge.config.profile_model import Profile
from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.model import Device, ParamKey, ParamValue
from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.midi_connection import CONNECTION_KEYS
from cuebridge.drivers.midi_inproc import MidiBus
from cuebridge.drivers.midi_transport import MidiSender, open_midi_sender
from cuebridge.drivers.osc_transport import stop_task
from cuebridge.render.midi import midi_settings, render_midi
from cuebridge.render.midi_fields import SETTING_KEYS
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

MidiRender = Callable[[str, Mapping[str, ParamValue]], Sequence[bytes]]
"""(action name, parameters) -> complete MIDI messages; supplied by the device profile."""

DEFAULT_FADE_RATE: Final = 30.0
OPTIONS: Final = frozenset({*CONNECTION_KEYS, *SETTING_KEYS, "fade_rate"})
"""Connection keys a MIDI device understands (docs/midi.md)."""


class MidiOutput:
    """One MIDI device: sends actions at once and samples fades (CC, pitch bend, MSC SET).

    Fade frames are spaced 1/fade_rate apart from the moment the first fade became active,
    so they do not drift; a late frame is skipped, never sent in a burst. A frame whose bytes
    equal the last ones sent for the same target is not sent again (a slow 7-bit fade would
    otherwise repeat values on a 31.25 kbaud cable). Each fade ends with one frame at its
    exact end values, sent even if unchanged. Render failures are counted and logged, send
    failures counted by the sender and reported through `report`; nothing is raised to the
    caller of `send`.
    """

    def __init__(
        self,
        name: str,
        sender: MidiSender,
        render: MidiRender,
        clock: Clock,
        *,
        report: StatusReporter = ignore_status,
        fade_rate: float = DEFAULT_FADE_RATE,
    ) -> None:
        if not (math.isfinite(fade_rate) and fade_rate > 0):
            raise ValueError(f"fade_rate must be a positive number, got {fade_rate!r}")
        self._name = name
        self._sender = sender
        self._render = render
        self._clock = clock
        self._report = report
        self._period = 1.0 / fade_rate
        self._fades: dict[ParamKey, StartFade] = {}
        self._last_frame: dict[ParamKey, tuple[bytes, ...]] = {}
        self._wake = asyncio.Event()
        self._sampler: asyncio.Task[None] | None = None
        self._closed = False
        self.render_errors = 0
        """Effects (or fade frames) that could not be rendered."""
        self.send_failures = 0
        """Sends that raised inside the sender (a bug there; they are contained here)."""

    @property
    def name(self) -> str:
        """The device name from the show."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """The sender's status."""
        return self._sender.status

    @property
    def sender(self) -> MidiSender:
        """The transport (for its counters)."""
        return self._sender

    @property
    def fading(self) -> int:
        """Number of fades running or waiting to begin."""
        return len(self._fades)

    async def start(self) -> None:
        """Start the fade sampler and open the transport (DeviceError if it cannot open).

        The sampler runs even when the transport failed, so effects keep being accepted
        (and dropped, counted by the sender) instead of piling up.
        """
        if self._closed or self._sampler is not None:
            raise RuntimeError(f"MIDI output {self._name!r} already started or closed")
        self._sender.on_status = self._on_status
        self._sampler = asyncio.create_task(self._sample_loop(), name=f"midi-fades {self._name}")
        await self._sender.start()

    def send(self, effect: Effect) -> None:
        """Send an action now (ending any fade on its target) or start/replace a fade."""
        if self._closed:
            return
        if isinstance(effect, StartFade):
            self._fades[effect.key] = effect
            self._last_frame.pop(effect.key, None)
            self._wake.set()
            return
        self._fades.pop(effect.key, None)
        self._last_frame.pop(effect.key, None)
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
            await self._sender.aclose()

    def _on_status(self, status: DeviceStatus, detail: str) -> None:
        self._report(status, detail)

    def _render_effect(
        self, effect: Effect, params: Mapping[str, ParamValue]
    ) -> tuple[bytes, ...] | None:
        try:
            return tuple(self._render(effect.action, params))
        except Exception:
            self.render_errors += 1
            logger.exception(
                "%s: cannot render %s %s (cue %s)", self._name, effect.action, params, effect.cue
            )
            return None

    def _emit(self, effect: Effect, params: Mapping[str, ParamValue]) -> bool:
        """Render and send; False (logged) if the profile could not render it."""
        messages = self._render_effect(effect, params)
        if messages is None:
            return False
        self._send(messages)
        return True

    def _send(self, messages: Sequence[bytes]) -> None:
        try:
            self._sender.send(messages)
        except Exception as err:
            self.send_failures += 1
            logger.exception("%s: MIDI send failed", self._name)
            self._report(DeviceStatus.UNREACHABLE, f"send failed: {err}")

    def _frame(self, now: float, on_frame: bool) -> None:
        """Finish the fades that ended and, on a frame tick, send the running ones."""
        for key, fade in list(self._fades.items()):
            end = fade.begin + fade.duration
            if now >= end:
                del self._fades[key]
                self._last_frame.pop(key, None)
                self._emit(fade, fade.params_at(end))
            elif on_frame and now >= fade.begin:
                messages = self._render_effect(fade, fade.params_at(now))
                if messages is None:  # it would fail again every frame: drop it
                    del self._fades[key]
                elif messages != self._last_frame.get(key):
                    self._last_frame[key] = messages
                    self._send(messages)

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


# --- building an output from a show's device and its profile ------------------------------


def midi_output_for(
    device: Device,
    profile: Profile,
    clock: Clock,
    report: StatusReporter = ignore_status,
    *,
    bus: MidiBus | None = None,
) -> MidiOutput:
    """The output of a MIDI device (ValueError for a bad connection or option).

    Transport keys are in `midi_connection.CONNECTION_KEYS`; the renderer's options are
    `device_id`, `command_format`, `pad_empty_fields` and `set_value_msb_first`; `fade_rate`
    is frames per second for fades (default 30). `bus` serves the inproc transport (tests).
    The profile's connection defaults fill in what the device leaves out (the show loader
    has usually merged them already).
    """
    connection = {**profile_connection(profile), **device.connection}
    if unknown := sorted(set(connection) - OPTIONS):
        known = ", ".join(sorted(OPTIONS))
        raise ValueError(f"{device.name}: unknown MIDI option(s) {unknown}; known: {known}")
    try:
        settings = midi_settings(connection)
        sender = open_midi_sender(connection, bus=bus)
    except ValueError as err:
        raise ValueError(f"{device.name}: {err}") from err
    fade_rate = connection.get("fade_rate", DEFAULT_FADE_RATE)
    if isinstance(fade_rate, bool) or not isinstance(fade_rate, int | float):
        raise ValueError(f"{device.name}: fade_rate must be a number, got {fade_rate!r}")

    def render(action: str, params: Mapping[str, ParamValue]) -> list[bytes]:
        return render_midi(profile.actions[action], params, settings)

    return MidiOutput(device.name, sender, render, clock, report=report, fade_rate=float(fade_rate))


def profile_connection(profile: Profile) -> dict[str, ParamValue]:
    """A profile's connection defaults as one mapping (host, port, transport and options)."""
    defaults = profile.connection
    fields = {"host": defaults.host, "port": defaults.port, "transport": defaults.transport}
    return {**defaults.options, **{k: v for k, v in fields.items() if v is not None}}
