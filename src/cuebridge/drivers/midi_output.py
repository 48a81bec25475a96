"""MIDI output driver: renders effects through the profile's `midi:` section and runs fades."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from cuebridge.config.device_options import MIDI_OPTION_KEYS
from cuebridge.config.profile_model import Profile
from cuebridge.core.effects import Effect
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.fade_sampler import FadeSampler, Frame
from cuebridge.drivers.midi_inproc import MidiBus
from cuebridge.drivers.midi_transport import MidiSender, open_midi_sender
from cuebridge.render.midi import midi_settings, render_midi
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

MidiRender = Callable[[str, Mapping[str, ParamValue]], Sequence[bytes]]
"""(action name, parameters) -> complete MIDI messages; supplied by the device profile."""

DEFAULT_FADE_RATE: Final = 30.0


class MidiOutput:
    """One MIDI device: sends actions at once and samples fades (CC, pitch bend, MSC SET).

    Fades run on a `FadeSampler` that skips repeated frames (a slow 7-bit fade would
    otherwise repeat values on a 31.25 kbaud cable). Render failures are counted and logged,
    send failures counted by the sender and reported through `report`; nothing is raised to
    the caller of `send`.
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
        self._name = name
        self._sender = sender
        self._render = render
        self._report = report
        self._fades = FadeSampler(
            clock, fade_rate, self._render_effect, self._send, skip_repeats=True
        )
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
        return self._fades.fading

    async def start(self) -> None:
        """Start the fade sampler and open the transport (DeviceError if it cannot open).

        The sampler runs even when the transport failed, so effects keep being accepted
        (and dropped, counted by the sender) instead of piling up.
        """
        if self._closed or self._fades.started:
            raise RuntimeError(f"MIDI output {self._name!r} already started or closed")
        self._sender.on_status = self._on_status
        self._fades.start(f"midi-fades {self._name}")
        await self._sender.start()

    def send(self, effect: Effect) -> None:
        """Send an action now (ending any fade on its target) or start/replace a fade."""
        if not self._closed:
            self._fades.apply(effect)

    async def aclose(self) -> None:
        """Stop the sampler, forget pending fades and close the transport; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._fades.aclose()
        finally:
            await self._sender.aclose()

    def _on_status(self, status: DeviceStatus, detail: str) -> None:
        self._report(status, detail)

    def _render_effect(self, effect: Effect, params: Mapping[str, ParamValue]) -> Frame | None:
        try:
            return tuple(self._render(effect.action, params))
        except Exception:
            self.render_errors += 1
            logger.exception(
                "%s: cannot render %s %s (cue %s)", self._name, effect.action, params, effect.cue
            )
            return None

    def _send(self, messages: Sequence[bytes]) -> None:
        try:
            self._sender.send(messages)
        except Exception as err:
            self.send_failures += 1
            logger.exception("%s: MIDI send failed", self._name)
            self._report(DeviceStatus.UNREACHABLE, f"send failed: {err}")


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

    The keys are in `config.device_options.MIDI_OPTIONS` (checked when the show loads):
    the transport's (`midi_connection.CONNECTION_KEYS`); the renderer's options
    `device_id`, `command_format`, `pad_empty_fields` and `set_value_msb_first`; `fade_rate`
    is frames per second for fades (default 30). `bus` serves the inproc transport (tests).
    The profile's connection defaults fill in what the device leaves out (the show loader
    has usually merged them already).
    """
    connection = {**profile_connection(profile), **device.connection}
    if unknown := sorted(set(connection) - MIDI_OPTION_KEYS):
        known = ", ".join(sorted(MIDI_OPTION_KEYS))
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
