"""sACN output driver: maps profile actions to DMX slots of a DmxFader that a SacnSender sends."""

from __future__ import annotations

import enum
import ipaddress
import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from cuebridge.core.effects import Effect, SendAction
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_sender import Clock, SacnSender, load_or_create_cid
from cuebridge.protocols import sacn as e131

logger = logging.getLogger(__name__)

ERROR_HOLD: Final = e131.NETWORK_DATA_LOSS_TIMEOUT  # s UNREACHABLE lasts after a send error
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_FPS: Final = 40.0
DEFAULT_SOURCE_NAME: Final = "cuebridge"
CID_NAMESPACE: Final = uuid.UUID("5b0c52f4-3f0e-5a8e-9c55-8a1d2e6f7c30")
"""Base of device CIDs when there is no state directory (see `device_cid`)."""
_BROADCAST: Final = ipaddress.IPv4Address("255.255.255.255")
_OPTIONS: Final = frozenset({"host", "port", "transport", "priority", "fps", "source_name"})


@dataclass(frozen=True, slots=True)
class DmxChannel:
    """One 8-bit slot of an action: the parameter it shows, its offset from the action's
    address, and the parameter value that means 255 (0 always means 0)."""

    param: str
    offset: int = 0
    full_scale: float = 255.0


@dataclass(frozen=True, slots=True)
class DmxAction:
    """How a profile action lands on DMX: one row of the mapping table.

    The universe and the 1-based start address come from parameters; each channel is one
    slot at `address - 1 + offset`. An rgb or dimmer fixture is a row with more channels.
    16-bit parameters (pan/tilt) need a coarse/fine pair sampled per frame (`split16`), which
    `DmxFader.fade` cannot do channel by channel: they will be a new kind of row.
    """

    channels: tuple[DmxChannel, ...]
    universe_param: str = "universe"
    address_param: str = "address"


SACN_ACTIONS: Final[Mapping[str, DmxAction]] = MappingProxyType(
    {"level": DmxAction((DmxChannel("level", 0, 100.0),))}  # profiles/generic-sacn.yaml
)
"""The actions sACN devices understand, by profile action name."""


def to_dmx(value: float, full_scale: float) -> int:
    """Scale 0..full_scale to a DMX value 0-255, to the nearest, halves up (50% -> 128).

    Whole DMX values mean a level and the end of a fade to it send the same slot value; the
    ends are exact (0 -> 0, full scale -> 255). Raises ValueError outside 0..full_scale.
    """
    if not 0.0 <= value <= full_scale:  # also rejects NaN
        raise ValueError(f"value {value} is outside 0-{full_scale:g}")
    scaled = value * 255.0 / full_scale
    whole = math.floor(scaled)
    return min(255, whole + (scaled - whole >= 0.5))


class _State(enum.Enum):
    NEW = enum.auto()
    STARTING = enum.auto()
    RUNNING = enum.auto()
    FAILED = enum.auto()
    CLOSED = enum.auto()


class SacnOutput:
    """One sACN device: effects become `DmxFader` levels and fades that `sender` sends.

    `fader` must be the fader given to `sender`: the sender renders it on every frame, so a
    fade costs nothing here. A `SendAction` sets its slots at the clock's now (it ends any
    fade on them); a `StartFade` fades them from their value at `begin` (the engine's
    `start` values are informational) to its end values. A universe is added to the sender,
    unicast to `host`, on its first use. An effect that cannot be mapped (unknown action,
    missing or out-of-range parameter) is logged and counted in `render_errors`, never raised.
    """

    def __init__(
        self,
        name: str,
        sender: SacnSender,
        fader: DmxFader,
        clock: Clock,
        *,
        host: str = DEFAULT_HOST,
        priority: int = e131.DEFAULT_PRIORITY,
        actions: Mapping[str, DmxAction] = SACN_ACTIONS,
    ) -> None:
        if not 0 <= priority <= e131.MAX_PRIORITY:
            raise ValueError(f"sACN priority must be 0-{e131.MAX_PRIORITY}, got {priority}")
        self._name, self._sender, self._fader, self._clock = name, sender, fader, clock
        self._host, self._priority, self._actions = _unicast_host(host), priority, actions
        self._universes: set[int] = set()
        self._state = _State.NEW
        self._errors_seen = 0
        self._error_seen_at = -math.inf
        self.render_errors = 0
        """Effects that could not be mapped to DMX (each one logged)."""

    @property
    def name(self) -> str:
        """The device name from the show."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """OK once started; UNREACHABLE for `ERROR_HOLD` s after the sender counts send errors.

        The sender's error counter has no timestamps: new errors count from the first status
        read (or `send`) that sees them. UNKNOWN before `start` and after `aclose`.
        """
        if self._state is _State.STARTING:
            return DeviceStatus.CONNECTING
        if self._state is _State.FAILED:
            return DeviceStatus.UNREACHABLE
        if self._state is not _State.RUNNING:
            return DeviceStatus.UNKNOWN
        self._observe_errors()
        if self._clock.now() - self._error_seen_at < ERROR_HOLD:
            return DeviceStatus.UNREACHABLE
        return DeviceStatus.OK

    @property
    def universes(self) -> tuple[int, ...]:
        """The universes in use, in order of first use."""
        return self._sender.universes

    async def start(self) -> None:
        """Open the sender's socket and start its frame task."""
        if self._state is not _State.NEW:
            raise RuntimeError(f"sACN output {self._name!r} already started or closed")
        self._state = _State.STARTING
        try:
            await self._sender.start()
        except BaseException:
            self._state = _State.FAILED
            raise
        self._state = _State.RUNNING

    def send(self, effect: Effect) -> None:
        """Set or fade the effect's slots (sent on the next frame); ignored once closed."""
        if self._state in (_State.CLOSED, _State.FAILED):
            return
        if self._state is _State.RUNNING:
            self._observe_errors()
        try:
            self._apply(effect)
        except (KeyError, TypeError, ValueError) as exc:
            self.render_errors += 1
            logger.error(
                "%s: cannot send %s %s (cue %s): %s",
                self._name,
                effect.action,
                dict(effect.params),
                effect.cue,
                exc,
            )
        except Exception:
            self.render_errors += 1
            logger.exception(
                "%s: cannot send %s %s (cue %s)",
                self._name,
                effect.action,
                dict(effect.params),
                effect.cue,
            )

    async def aclose(self) -> None:
        """Stop the frames and send 3 stream-terminated packets per universe; idempotent."""
        if self._state is _State.CLOSED:
            return
        self._state = _State.CLOSED
        await self._sender.aclose()

    def _apply(self, effect: Effect) -> None:
        row = self._actions.get(effect.action)
        if row is None:
            raise ValueError(f"unknown sACN action {effect.action!r}")
        universe = _whole(effect.params, row.universe_param, e131.MIN_UNIVERSE, e131.MAX_UNIVERSE)
        address = _whole(effect.params, row.address_param, 1, e131.MAX_SLOTS)
        slots = [address - 1 + channel.offset for channel in row.channels]
        if not all(0 <= slot < e131.MAX_SLOTS for slot in slots):
            raise ValueError(f"address {address} leaves no room for {len(slots)} slots")
        given = effect.params if isinstance(effect, SendAction) else {**effect.params, **effect.end}
        values = [to_dmx(_number(given, ch.param), ch.full_scale) for ch in row.channels]
        if universe not in self._universes:
            self._sender.add_universe(universe, self._priority, self._host)
            self._universes.add(universe)
        if isinstance(effect, SendAction):
            self._fader.set(universe, slots, values, self._clock.now())
        else:
            self._fader.fade(universe, slots, values, effect.curve, effect.begin, effect.duration)

    def _observe_errors(self) -> None:
        errors = self._sender.stats.send_errors
        if errors != self._errors_seen:
            self._errors_seen, self._error_seen_at = errors, self._clock.now()


def device_cid(name: str, state_dir: Path | None) -> uuid.UUID:
    """The sACN CID of device `name`: uuid5 of the name under a base UUID.

    The base is this installation's CID (`load_or_create_cid(state_dir)`), so each device's
    sender, which keeps its own sequence numbers, is its own source and keeps its CID across
    restarts. Without a state dir the base is the fixed `CID_NAMESPACE`: still stable, but two
    cuebridge installations with a device of the same name then share a CID.
    """
    base = CID_NAMESPACE if state_dir is None else load_or_create_cid(state_dir)
    return uuid.uuid5(base, name)


def sacn_output_for(device: Device, clock: Clock, state_dir: Path | None) -> SacnOutput:
    """Build the output of an sACN device from its connection (raises ValueError if invalid).

    Connection keys: `host` (IPv4 unicast, default 127.0.0.1), `port` (default 5568),
    `transport` (`udp`) and the options `priority` (0-200, default 100), `fps` (above 0, at
    most 44, default 40) and `source_name` (default "cuebridge").
    """
    connection = device.connection
    if unknown := sorted(set(connection) - _OPTIONS):
        known = ", ".join(sorted(_OPTIONS))
        raise ValueError(f"{device.name}: unknown sACN option(s) {unknown}; known: {known}")
    if (transport := connection.get("transport", "udp")) != "udp":
        raise ValueError(f"{device.name}: sACN runs over udp, not {transport!r}")
    host = _unicast_host(connection.get("host", DEFAULT_HOST))
    port = _whole(connection, "port", 1, 65535, e131.SACN_PORT)
    priority = _whole(connection, "priority", 0, e131.MAX_PRIORITY, e131.DEFAULT_PRIORITY)
    fps = _number(connection, "fps", DEFAULT_FPS)
    source_name = connection.get("source_name", DEFAULT_SOURCE_NAME)
    if not isinstance(source_name, str):
        raise ValueError(f"{device.name}: source_name must be text, got {source_name!r}")
    fader = DmxFader()
    sender = SacnSender(
        source_name,
        device_cid(device.name, state_dir),
        clock,
        fps=fps,
        port=port,
        bind_address="127.0.0.1" if ipaddress.IPv4Address(host).is_loopback else "0.0.0.0",
        fader=fader,
    )
    return SacnOutput(device.name, sender, fader, clock, host=host, priority=priority)


def _unicast_host(host: ParamValue) -> str:
    """An IPv4 unicast address: sACN to a device host never goes multicast or broadcast."""
    try:
        address = ipaddress.IPv4Address(str(host))
    except ValueError:
        raise ValueError(f"sACN host must be an IPv4 address, got {host!r}") from None
    if address.is_multicast or address.is_unspecified or address == _BROADCAST:
        raise ValueError(f"sACN host must be a unicast address, got {host}")
    return str(address)


def _whole(
    params: Mapping[str, ParamValue], name: str, low: int, high: int, default: int | None = None
) -> int:
    value = params.get(name, default)
    if value is None:
        raise ValueError(f"missing parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, float) and not value.is_integer():  # also NaN and infinities
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be {low}-{high}, got {value}")
    return int(value)


def _number(params: Mapping[str, ParamValue], name: str, default: float | None = None) -> float:
    value = params.get(name, default)
    if value is None:
        raise ValueError(f"missing parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)
