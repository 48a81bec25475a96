"""A MIDI device's connection keys, checked, and the status bookkeeping MIDI links share."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, NoReturn

from cuebridge.config.device_options import IPMIDI_PORTS
from cuebridge.config.device_options import MIDI_CONNECTION_KEYS as CONNECTION_KEYS
from cuebridge.config.profile_model import MIDI_TRANSPORTS
from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus

logger = logging.getLogger(__name__)

DEFAULT_HOST: Final = "127.0.0.1"
IPMIDI_GROUP: Final = "225.0.0.37"
IPMIDI_BASE_PORT: Final = 21928
"""ipMIDI port n (0-based) is UDP port 21928 + n on the group."""
DEFAULT_INPROC_PORT: Final = "default"


StatusCallback = Callable[[DeviceStatus, str], None]
MessageCallback = Callable[[bytes], None]
"""Receives one complete MIDI message."""
MalformedCallback = Callable[[str], None]
"""Hears why a piece of input was dropped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MidiConnection:
    """Where a MIDI link goes: the transport and its settings (CONNECTION_KEYS)."""

    transport: str = "udp"
    host: str = DEFAULT_HOST
    port: int | None = None
    port_name: str | None = None
    ipmidi_port: int = 0
    interface: str = DEFAULT_HOST
    ttl: int = 1

    @property
    def ipmidi_address(self) -> tuple[str, int]:
        """The multicast group and UDP port of the ipMIDI port."""
        return IPMIDI_GROUP, IPMIDI_BASE_PORT + self.ipmidi_port

    def describe(self) -> str:
        """Where it goes, for logs."""
        if self.transport == "udp":
            return f"udp {self.host}:{self.port}"
        if self.transport == "ipmidi":
            group, port = self.ipmidi_address
            return f"ipmidi port {self.ipmidi_port} ({group}:{port} via {self.interface})"
        return f"{self.transport} port {self.port_name!r}"


def midi_connection(
    connection: Mapping[str, ParamValue], *, receiver: bool = False
) -> MidiConnection:
    """Check a device's connection mapping; ValueError naming the key and what it expected.

    Keys other than the transport's (renderer options such as device_id) are ignored.
    """
    transport = connection.get("transport", "udp")
    if transport not in MIDI_TRANSPORTS:
        _bad("transport", CONNECTION_KEYS["transport"], transport)
    host = _text(connection, "host", DEFAULT_HOST)
    port = connection.get("port")
    lowest = 0 if receiver else 1
    if port is not None and not (type(port) is int and lowest <= port <= 65535):
        _bad("port", f"a UDP port from {lowest} to 65535", port)
    if transport == "udp" and port is None and not receiver:
        _bad("port", "a UDP port for the udp transport", None)
    port_name = connection.get("port_name")
    if port_name is not None and not (isinstance(port_name, str) and port_name):
        _bad("port_name", "a MIDI port name", port_name)
    if transport == "rtmidi" and port_name is None:
        _bad("port_name", "the name of a system MIDI port (see `aconnect -l` or mido)", None)
    if transport == "inproc" and port_name is None:
        port_name = DEFAULT_INPROC_PORT
    index = connection.get("ipmidi_port", 0)
    if not (type(index) is int and 0 <= index < IPMIDI_PORTS):
        _bad("ipmidi_port", f"an ipMIDI port index from 0 to {IPMIDI_PORTS - 1}", index)
    interface = _text(connection, "interface", DEFAULT_HOST)
    try:
        ipaddress.IPv4Address(interface)
    except ValueError:
        _bad("interface", "an IPv4 address such as 127.0.0.1", interface)
    ttl = connection.get("ttl", 1)
    if not (type(ttl) is int and 0 <= ttl <= 255):
        _bad("ttl", "a multicast TTL from 0 to 255", ttl)
    return MidiConnection(
        transport=str(transport),
        host=host,
        port=port if isinstance(port, int) else None,
        port_name=port_name if isinstance(port_name, str) else None,
        ipmidi_port=int(index),
        interface=interface,
        ttl=int(ttl),
    )


def _text(connection: Mapping[str, ParamValue], key: str, default: str) -> str:
    value = connection.get(key, default)
    if not isinstance(value, str) or not value:
        _bad(key, "an address such as 127.0.0.1", value)
    return value


def _bad(key: str, expected: str, value: object) -> NoReturn:
    got = "nothing" if value is None else repr(value)
    raise ValueError(f"connection {key}: expected {expected}, got {got}")


class LinkStatus:
    """One link's health: changes are logged and reported once, never repeated."""

    def __init__(self, what: str, status: DeviceStatus = DeviceStatus.UNKNOWN) -> None:
        self.what = what
        self.status = status
        self.on_status: StatusCallback | None = None

    def set(self, status: DeviceStatus, detail: str) -> None:
        """Record a status; the callback hears only changes."""
        if status is self.status:
            return
        self.status = status
        level = logging.WARNING if status is DeviceStatus.UNREACHABLE else logging.INFO
        logger.log(level, "MIDI %s: %s (%s)", self.what, status.value, detail)
        if self.on_status is not None:
            try:
                self.on_status(status, detail)
            except Exception:
                logger.exception("MIDI %s: status callback failed", self.what)
