"""Which simulator stands in for a device, and the connection that points the device at it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from cuebridge.config.profile_model import Profile
from cuebridge.core.model import Device, ParamValue
from cuebridge.errors import CuebridgeError
from cuebridge.sim.base import SimulatedDevice
from cuebridge.sim.eos import EosSim
from cuebridge.sim.generic_osc import GenericOscSim
from cuebridge.sim.media import MediaSim
from cuebridge.sim.osc_endpoint import LOOPBACK
from cuebridge.sim.osc_sim import OscSim
from cuebridge.sim.qlab import QLabSim
from cuebridge.sim.x32 import X32Sim

OSC_SIMULATORS: Final[Mapping[str, type[OscSim]]] = MappingProxyType(
    {
        "behringer-x32": X32Sim,
        "etc-eos": EosSim,
        "qlab5": QLabSim,
        "resolume-arena": MediaSim,
        "millumin": MediaSim,
        "disguise": MediaSim,
        "generic-osc": GenericOscSim,
    }
)
"""Bundled OSC profiles and their simulators."""

_FAMILIES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...], type[OscSim]], ...]] = (
    (("behringer", "midas"), ("x32", "m32", "behringer", "midas"), X32Sim),
    (("etc",), ("eos", "etc-"), EosSim),
    (("figure 53", "figure53"), ("qlab",), QLabSim),
    (("resolume", "anomes", "disguise"), ("resolume", "millumin", "disguise", "d3"), MediaSim),
)
"""(vendors, profile id prefixes, simulator) for OSC profiles not listed above."""


class NoSimulator(CuebridgeError, LookupError):
    """No simulator can stand in for this device (a profile of an unsimulated protocol)."""


def osc_simulator_class(profile: Profile) -> type[OscSim]:
    """The simulator class for an OSC profile: by id, then by family, else the generic one."""
    known = OSC_SIMULATORS.get(profile.id)
    if known is not None:
        return known
    vendor = (profile.vendor or "").lower()
    for vendors, prefixes, simulator in _FAMILIES:
        if vendor in vendors or profile.id.startswith(prefixes):
            return simulator
    return GenericOscSim


def simulator_for(device: Device, profile: Profile, *, port: int = 0) -> SimulatedDevice:
    """A new, unstarted simulator for `device` on 127.0.0.1:`port` (0 = ephemeral).

    OSC profiles get their family's simulator (QLab takes the device's `passcode` option);
    sACN profiles the sACN receiver (with the device's fixture patch), MIDI profiles the MIDI
    console (with the device's options, such as its MSC `device_id`). NoSimulator otherwise.
    """
    if profile.protocol == "osc":
        simulator = osc_simulator_class(profile)
        if simulator is QLabSim:
            passcode = device.connection.get("passcode")
            code = "" if passcode is None else str(passcode)
            return QLabSim(device.name, profile=profile, port=port, passcode=code)
        return simulator(device.name, profile=profile, port=port)
    if profile.protocol == "sacn":
        from cuebridge.sim.sacn_receiver import SacnReceiverSim

        return SacnReceiverSim(device.name, profile=profile, port=port, patch=device.patch)
    if profile.protocol == "midi":
        from cuebridge.sim.midi_console import MidiConsoleSim

        return MidiConsoleSim(device.name, profile=profile, port=port, options=device.connection)
    raise NoSimulator(
        f"device {device.name}: no simulator for the {profile.protocol} profile {profile.id}"
    )


def simulated_connection(device: Device, sim: SimulatedDevice) -> dict[str, ParamValue]:
    """Connection fields that point `device` at its started simulator (merge over its own).

    host 127.0.0.1, the simulator's port, and the device's transport when the simulator offers
    it (else the simulator's usual one). A simulator that is reached another way (a MIDI port)
    may define `connection_overrides() -> dict` and is asked instead.
    """
    custom = getattr(sim, "connection_overrides", None)
    if callable(custom):
        overrides: dict[str, ParamValue] = dict(custom())
        return overrides
    offered = getattr(sim, "transports", ("udp",))
    current = device.connection.get("transport")
    transport = current if isinstance(current, str) and current in offered else offered[0]
    return {"host": LOOPBACK, "port": sim.port, "transport": transport}
