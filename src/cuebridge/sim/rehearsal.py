"""Rehearsal mode: start a simulator for every device and point the show's devices at them."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.core.engine import CONTROL_DEVICE
from cuebridge.core.model import Device, Show
from cuebridge.sim.base import SimulatedDevice
from cuebridge.sim.registry import simulated_connection, simulator_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """The show with its devices pointed at started simulators."""

    show: Show
    simulators: dict[str, SimulatedDevice]
    missing: dict[str, str]
    """Devices left without a simulator, with the reason. Never give these a real output:
    in rehearsal nothing may reach real gear (log their actions instead)."""


async def start_simulators(show: Show, catalog: ProfileCatalog) -> Rehearsal:
    """Start one simulator per device (the built-in `show` device needs none)."""
    simulators: dict[str, SimulatedDevice] = {}
    missing: dict[str, str] = {}
    devices: dict[str, Device] = dict(show.devices)
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        if name == CONTROL_DEVICE or (profile is not None and profile.protocol == "internal"):
            continue
        if profile is None:
            missing[name] = f"unknown profile {device.profile}"
            continue
        try:
            sim = simulator_for(device, profile)
            await sim.start()
        except Exception as err:  # one device without a simulator must not stop the rehearsal
            logger.error("device %s: no simulator (%s); its actions will only be logged", name, err)
            missing[name] = str(err) or type(err).__name__
            continue
        simulators[name] = sim
        connection = {**device.connection, **simulated_connection(device, sim)}
        devices[name] = dataclasses.replace(device, connection=connection)
        logger.info("device %s: simulated on %s", name, _where(connection))
    return Rehearsal(dataclasses.replace(show, devices=devices), simulators, missing)


async def close_simulators(simulators: Mapping[str, SimulatedDevice]) -> None:
    """Close simulators in reverse start order, whatever each one does."""
    for sim in reversed(list(simulators.values())):
        with contextlib.suppress(Exception):
            await sim.aclose()


def _where(connection: Mapping[str, object]) -> str:
    return f"{connection.get('transport', '')} {connection.get('host')}:{connection.get('port')}"
