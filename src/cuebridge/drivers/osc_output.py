"""OSC output driver: renders effects to OSC messages and samples fades at a fixed frame rate."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence

from cuebridge.config.device_options import OSC_OPTION_KEYS
from cuebridge.config.profile_model import ActionSpec, OscMessageSpec, Profile
from cuebridge.core.effects import Effect
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.fade_sampler import FadeSampler, Frame
from cuebridge.drivers.osc_health import HealthPlan, Keepalive, OscHealth, Probe
from cuebridge.drivers.osc_queue import DEFAULT_MAX_AGE
from cuebridge.drivers.osc_transport import (
    Framing,
    OscTransport,
    TcpOscTransport,
    UdpOscTransport,
)
from cuebridge.protocols.osc import OscBundle, OscMessage, encode_packet
from cuebridge.render.osc import render_osc
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

Render = Callable[[str, Mapping[str, ParamValue]], Sequence[OscMessage | OscBundle]]
"""(action name, parameters) -> the packets to send; supplied by the device profile."""


class OscOutput:
    """One OSC device: sends actions at once and runs its fades on one shared frame clock.

    Fades run on a `FadeSampler` (every frame is sent, repeats included). An `OscHealth` owned
    by the output runs the `health` plan (probe, keep-alive, greeting) and calls `report`
    on every status change.
    """

    def __init__(
        self,
        name: str,
        transport: OscTransport,
        render: Render,
        clock: Clock,
        fade_rate: float = 30.0,
        *,
        health: HealthPlan | None = None,
        report: StatusReporter = ignore_status,
    ) -> None:
        self._name = name
        self._transport = transport
        self._render = render
        self._fades = FadeSampler(clock, fade_rate, self._encode, self._send_packets)
        self._closed = False
        self._health = OscHealth(name, transport, clock, health, report)
        self.render_errors = 0
        """Effects (or fade frames) that could not be rendered or encoded."""

    @property
    def name(self) -> str:
        """The device name from the show."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """The device's status (see `OscHealth`)."""
        return self._health.status

    @property
    def health(self) -> OscHealth:
        """The health monitor: status, detail and probe counters."""
        return self._health

    @property
    def transport(self) -> OscTransport:
        """The transport (for its counters)."""
        return self._transport

    @property
    def fading(self) -> int:
        """Number of fades running or waiting to begin."""
        return self._fades.fading

    async def start(self) -> None:
        """Open the transport and start the (idle) fade sampler."""
        if self._closed or self._fades.started:
            raise RuntimeError(f"OSC output {self._name!r} already started or closed")
        await self._transport.start()
        self._health.start()
        self._fades.start(f"osc-fades {self._name}")

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
            await self._health.aclose()
        finally:
            await self._transport.aclose()

    def _encode(self, effect: Effect, params: Mapping[str, ParamValue]) -> Frame | None:
        """Render and encode; None (logged, counted) if the profile could not render it."""
        try:
            return tuple(encode_packet(packet) for packet in self._render(effect.action, params))
        except Exception:
            self.render_errors += 1
            logger.exception(
                "%s: cannot render %s %s (cue %s)", self._name, effect.action, params, effect.cue
            )
            return None

    def _send_packets(self, packets: Frame) -> None:
        for packet in packets:
            self._transport.send(packet)
        self._health.note_sent()


# --- building an output from a show's device and its profile ------------------------------


def osc_output_for(
    device: Device, profile: Profile, clock: Clock, report: StatusReporter = ignore_status
) -> OscOutput:
    """The output of an OSC device (raises ValueError for a bad connection or option).

    Connection keys (`config.device_options.OSC_OPTIONS`, checked when the show loads):
    `host` (default 127.0.0.1), `port`, `transport` (`udp`, `tcp-slip`,
    `tcp-len`), and the options `fade_rate` (frames per second, default 30),
    `queue_max_age` (TCP: seconds a message may wait for the connection, default 2) and the
    parameters of the profile's `on_connect` (QLab: `passcode`).
    """
    connection = device.connection
    greeting_params = profile.on_connect.params if profile.on_connect else {}
    if unknown := sorted(set(connection) - OSC_OPTION_KEYS - set(greeting_params)):
        known = ", ".join(sorted(OSC_OPTION_KEYS | set(greeting_params)))
        raise ValueError(f"{device.name}: unknown OSC option(s) {unknown}; known: {known}")
    host = str(connection.get("host", "127.0.0.1"))
    if "port" not in connection:
        raise ValueError(f"{device.name}: no port (set it on the device or in the profile)")
    port = _number(device, "port")
    if not port.is_integer():
        raise ValueError(f"{device.name}: port must be a whole number, got {port:g}")
    transport_name = str(connection.get("transport", "udp"))
    transport: OscTransport
    if transport_name == "udp":
        transport = UdpOscTransport(host, int(port))
    elif transport_name in ("tcp-slip", "tcp-len"):
        framing: Framing = "slip" if transport_name == "tcp-slip" else "length"
        max_age = _number(device, "queue_max_age", DEFAULT_MAX_AGE)
        transport = TcpOscTransport(host, int(port), framing, max_age=max_age, clock=clock)
    else:
        raise ValueError(f"{device.name}: unknown OSC transport {transport_name!r}")

    def render(action: str, params: Mapping[str, ParamValue]) -> list[OscMessage]:
        return render_osc(profile.actions[action], params)

    plan = health_plan(profile, connection)
    fade_rate = _number(device, "fade_rate", 30.0)
    return OscOutput(device.name, transport, render, clock, fade_rate, health=plan, report=report)


def health_plan(profile: Profile, connection: Mapping[str, ParamValue]) -> HealthPlan:
    """The profile's health, keepalive and on_connect sections, encoded for this device.

    The probe is left out on transports the profile's `health.transports` does not list.
    Raises ValueError (RenderError) when an on_connect parameter does not fit its type.
    """
    health, keepalive, on_connect = profile.health, profile.keepalive, profile.on_connect
    transport = str(connection.get("transport", "udp"))
    probe = None
    if health is not None and (health.transports is None or transport in health.transports):
        probe = Probe(
            _encode([health.probe])[0],
            health.probe.address,
            health.reply,
            health.interval,
            health.timeout,
            health.misses,
        )
    renewal = Keepalive(_encode(keepalive.osc), keepalive.every) if keepalive else None
    greeting: tuple[bytes, ...] = ()
    if on_connect is not None:
        values = {
            name: _as_param(spec.type, connection[name])
            for name, spec in on_connect.params.items()
            if name in connection
        }
        action = ActionSpec(params=dict(on_connect.params), osc=list(on_connect.osc))
        greeting = tuple(encode_packet(message) for message in render_osc(action, values))
    return HealthPlan(probe, renewal, greeting)


def _encode(messages: Sequence[OscMessageSpec]) -> tuple[bytes, ...]:
    action = ActionSpec(osc=list(messages))
    return tuple(encode_packet(message) for message in render_osc(action, {}))


def _as_param(kind: str, value: ParamValue) -> ParamValue:
    """YAML reads `passcode: 1234` as a number: a string parameter takes it as text."""
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _number(device: Device, key: str, default: float | None = None) -> float:
    value = device.connection.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{device.name}: {key} must be a number, got {value!r}")
    return float(value)
