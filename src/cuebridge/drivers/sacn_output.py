"""sACN output driver: level and fixture effects become DmxFader channels a SacnSender sends."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np

from cuebridge.config.device_options import (
    RATE_RULES,
    SACN_MAX_FPS,
    SACN_MIN_FPS,
    SACN_OPTION_KEYS,
    RateRule,
)
from cuebridge.core.dmx_patch import DmxPatch
from cuebridge.core.effects import Effect
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.dmx_effects import apply_targets, effect_targets, number_param, whole_param
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_cid import load_or_create_cid
from cuebridge.drivers.sacn_health import ERROR_HOLD as ERROR_HOLD
from cuebridge.drivers.sacn_health import Lifecycle, SacnHealth
from cuebridge.drivers.sacn_sender import Clock, SacnSender, SenderStats
from cuebridge.protocols import sacn as e131

logger = logging.getLogger(__name__)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_FPS: Final = 40.0
DEFAULT_SOURCE_NAME: Final = "cuebridge"
CID_NAMESPACE: Final = uuid.UUID("5b0c52f4-3f0e-5a8e-9c55-8a1d2e6f7c30")
"""Base of device CIDs when there is no state directory (see `device_cid`)."""
_BROADCAST: Final = ipaddress.IPv4Address("255.255.255.255")


class SacnOutput:
    """One sACN device: effects become `DmxFader` levels and fades that `sender` sends.

    `fader` must be the fader given to `sender`: the sender renders it on every frame, so a
    fade costs nothing here. Effects are `level` (one 8-bit address) and `fixture` (attributes
    of a fixture in `patch`, 16-bit ones as coarse/fine pairs), with values in the patch's
    unit. A `SendAction` sets its slots at the clock's now (it ends any fade on them); a
    `StartFade` fades them from what they show to its end values on the engine's times, so
    the latest effect on a channel takes precedence. A fade that arrives after its `begin`
    (a resumed cue) goes on from the current values and still ends on time; the engine's
    `start` values are informational. What an effect changes goes out at once, in one packet
    per universe for the effects handed over together, unless E1.31's rate limit holds the
    universe back (see `RateRule`): then as soon as it may (`SacnSender.send_soon`).
    Fades then move on the sender's frames.

    The patch's universes are sent from the start, every attribute at its home (pan and tilt
    centred); another universe is added, unicast to `host`, on its first use. An effect that
    cannot be mapped (unknown action or fixture, missing or out-of-range parameter) is logged
    and counted in `render_errors`, never raised. Status changes go to `report`.
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
        patch: DmxPatch | None = None,
        report: StatusReporter = ignore_status,
    ) -> None:
        if not 0 <= priority <= e131.MAX_PRIORITY:
            raise ValueError(f"sACN priority must be 0-{e131.MAX_PRIORITY}, got {priority}")
        self._name, self._sender, self._fader, self._clock = name, sender, fader, clock
        self._host, self._priority = _unicast_host(host), priority
        self._patch = DmxPatch() if patch is None else patch
        self._universes: set[int] = set()
        self._health = SacnHealth(name, sender, clock, report)
        self.render_errors = 0
        """Effects that could not be mapped to DMX (each one logged)."""
        self._place(self._patch)

    @property
    def patch(self) -> DmxPatch:
        """The fixtures this output knows, and the unit of its levels."""
        return self._patch

    @property
    def name(self) -> str:
        """The device name from the show."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """OK once started; UNREACHABLE for `ERROR_HOLD` s after the sender counts send errors.

        New send errors count from the first check that sees them (every status read or
        `send`, and every 0.25 s while running). UNKNOWN before `start` and after `aclose`.
        """
        return self._health.status

    @property
    def universes(self) -> tuple[int, ...]:
        """The universes in use, in order of first use."""
        return self._sender.universes

    @property
    def sender_stats(self) -> SenderStats:
        """The sender's packet and error counters."""
        return self._sender.stats

    async def start(self) -> None:
        """Open the sender's socket and start its frame task."""
        if self._health.state is not Lifecycle.NEW:
            raise RuntimeError(f"sACN output {self._name!r} already started or closed")
        self._health.move(Lifecycle.STARTING)
        try:
            await self._sender.start()
        except BaseException as exc:
            self._health.move(Lifecycle.FAILED, f"cannot open the socket: {exc}")
            raise
        self._health.move(Lifecycle.RUNNING)

    def send(self, effect: Effect) -> None:
        """Set or fade the effect's slots and send them soon; ignored once closed."""
        if self._health.state in (Lifecycle.CLOSED, Lifecycle.FAILED):
            return
        running = self._health.state is Lifecycle.RUNNING
        if running:
            self._health.check()
        try:
            universes = self._apply(effect)
            if running:
                self._sender.send_soon(universes)
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
        if self._health.state is Lifecycle.CLOSED:
            return
        self._health.move(Lifecycle.CLOSED)
        await self._health.aclose()
        await self._sender.aclose()

    def levels(self) -> dict[int, bytes]:
        """The current output of every universe in use: 512 slot values each (for recovery)."""
        now = self._clock.now()
        return {
            universe: self._fader.sample(universe, now).tobytes() for universe in self.universes
        }

    def restore_levels(self, levels: Mapping[int, bytes]) -> None:
        """Set whole universes at once, no fade (after a crash); ValueError for bad input.

        Each value holds up to 512 slot values (missing ones are 0). Every slot restored is
        an 8-bit channel until a cue sets it again; a 16-bit attribute then continues from the
        value its coarse and fine slots show. Ignored once the output is closed.
        """
        for universe, data in levels.items():
            if not e131.MIN_UNIVERSE <= universe <= e131.MAX_UNIVERSE or len(data) > e131.MAX_SLOTS:
                raise ValueError(f"cannot restore universe {universe} with {len(data)} slots")
        if self._health.state in (Lifecycle.CLOSED, Lifecycle.FAILED):
            return
        now = self._clock.now()
        for universe, data in levels.items():
            frame = np.zeros(e131.MAX_SLOTS)
            frame[: len(data)] = np.frombuffer(bytes(data), dtype=np.uint8)
            self._use(universe)
            self._fader.set(universe, np.arange(e131.MAX_SLOTS), frame, now)

    def use_patch(self, patch: DmxPatch) -> None:
        """Take a new patch (a reloaded show): fixtures new or moved start at their homes.

        Fixtures patched as before keep their levels; slots a removed fixture used keep
        theirs too, until something sets them.
        """
        old = self._patch.fixtures
        moved = {name: f for name, f in patch.fixtures.items() if old.get(name) != f}
        self._patch = patch
        self._place(DmxPatch(moved, patch.unit))

    def _place(self, patch: DmxPatch) -> None:
        for universe in patch.universes():
            self._use(universe)
        apply_targets(self._fader, patch.homes(), None, self._clock.now())

    def _use(self, universe: int) -> None:
        if universe not in self._universes:
            self._sender.add_universe(universe, self._priority, self._host)
            self._universes.add(universe)

    def _apply(self, effect: Effect) -> set[int]:
        """Hand the effect to the fader; the universes it touches."""
        targets = effect_targets(effect, self._patch)
        universes = {target.universe for target in targets}
        for universe in universes:
            self._use(universe)
        apply_targets(self._fader, targets, effect, self._clock.now())
        return universes


def device_cid(name: str, state_dir: Path | None) -> uuid.UUID:
    """The sACN CID of device `name`: uuid5 of the name under a base UUID.

    The base is this installation's CID (`load_or_create_cid(state_dir)`), so each device's
    sender, which keeps its own sequence numbers, is its own source and keeps its CID across
    restarts. Without a state dir the base is the fixed `CID_NAMESPACE`: still stable, but two
    cuebridge installations with a device of the same name then share a CID.
    """
    base = CID_NAMESPACE if state_dir is None else load_or_create_cid(state_dir)
    return uuid.uuid5(base, name)


def sacn_output_for(
    device: Device, clock: Clock, state_dir: Path | None, report: StatusReporter = ignore_status
) -> SacnOutput:
    """Build the output of an sACN device from its connection (raises ValueError if invalid).

    Connection keys: `host` (IPv4 unicast, default 127.0.0.1), `port` (default 5568),
    `transport` (`udp`) and the options `priority` (0-200, default 100), `fps` (10 to 44,
    default 40), `source_name` (default "cuebridge") and `rate_rule` (`window`,
    the default, or `interval`: see `RateRule`). The device's `patch` (its
    fixtures and unit) comes with it; without one, `level` actions are in percent. Status
    changes go to `report`.
    """
    connection = device.connection
    if unknown := sorted(set(connection) - SACN_OPTION_KEYS):
        known = ", ".join(sorted(SACN_OPTION_KEYS))
        raise ValueError(f"{device.name}: unknown sACN option(s) {unknown}; known: {known}")
    if (transport := connection.get("transport", "udp")) != "udp":
        raise ValueError(f"{device.name}: sACN runs over udp, not {transport!r}")
    host = _unicast_host(connection.get("host", DEFAULT_HOST))
    port = whole_param(connection, "port", 1, 65535, e131.SACN_PORT)
    priority = whole_param(connection, "priority", 0, e131.MAX_PRIORITY, e131.DEFAULT_PRIORITY)
    fps = number_param(connection, "fps", DEFAULT_FPS)
    if not SACN_MIN_FPS <= fps <= SACN_MAX_FPS:
        raise ValueError(
            f"{device.name}: fps must be {SACN_MIN_FPS:g}-{SACN_MAX_FPS:g}, got {fps:g}"
        )
    source_name = connection.get("source_name", DEFAULT_SOURCE_NAME)
    if not isinstance(source_name, str):
        raise ValueError(f"{device.name}: source_name must be text, got {source_name!r}")
    rule = connection.get("rate_rule", RateRule.WINDOW.value)
    if rule not in RATE_RULES:
        known = " or ".join(RATE_RULES)
        raise ValueError(f"{device.name}: rate_rule must be {known}, got {rule!r}")
    fader = DmxFader()
    sender = SacnSender(
        source_name,
        device_cid(device.name, state_dir),
        clock,
        fps=fps,
        port=port,
        bind_address="127.0.0.1" if ipaddress.IPv4Address(host).is_loopback else "0.0.0.0",
        fader=fader,
        rate_rule=RateRule(str(rule)),
    )
    return SacnOutput(
        device.name,
        sender,
        fader,
        clock,
        host=host,
        priority=priority,
        patch=device.patch,
        report=report,
    )


def _unicast_host(host: ParamValue) -> str:
    """An IPv4 unicast address: sACN to a device host never goes multicast or broadcast."""
    try:
        address = ipaddress.IPv4Address(str(host))
    except ValueError:
        raise ValueError(f"sACN host must be an IPv4 address, got {host!r}") from None
    if address.is_multicast or address.is_unspecified or address == _BROADCAST:
        raise ValueError(f"sACN host must be a unicast address, got {host}")
    return str(address)
