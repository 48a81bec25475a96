"""MIDI transports: the send and receive interfaces and the factories that pick one per device.

A device's `connection` mapping chooses the transport (`midi_connection.CONNECTION_KEYS`):
raw MIDI over UDP unicast (the default), a system port through mido's rtmidi backend,
ipMIDI multicast, or an in-process MidiBus for tests.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import (
    MalformedCallback,
    MessageCallback,
    StatusCallback,
    midi_connection,
)
from cuebridge.drivers.midi_inproc import InprocMidiReceiver, InprocMidiSender, MidiBus
from cuebridge.drivers.midi_rtmidi import (
    BackendLoader,
    RtMidiReceiver,
    RtMidiSender,
    load_rtmidi_backend,
)
from cuebridge.drivers.midi_udp import Address, UdpMidiReceiver, UdpMidiSender

__all__ = [
    "MidiBus",
    "MidiReceiver",
    "MidiSender",
    "open_midi_receiver",
    "open_midi_sender",
]


class MidiSender(Protocol):
    """Moves whole MIDI messages to one device.

    `start` opens it (DeviceError when it cannot). `send` takes the complete messages of one
    action, sends them at once and never blocks or raises for device trouble: failures are
    counted in `errors` and reported through `on_status`. `aclose` is idempotent.
    """

    on_status: StatusCallback | None
    sent: int
    dropped: int
    errors: int

    @property
    def status(self) -> DeviceStatus: ...
    async def start(self) -> None: ...
    def send(self, messages: Sequence[bytes]) -> None: ...
    async def aclose(self) -> None: ...


class MidiReceiver(Protocol):
    """A started MIDI input; `port` is the bound UDP port (0 when the transport has none)."""

    messages: int
    malformed: int

    @property
    def port(self) -> int: ...
    async def aclose(self) -> None: ...


def open_midi_sender(
    connection: Mapping[str, ParamValue],
    *,
    bus: MidiBus | None = None,
    load_backend: BackendLoader = load_rtmidi_backend,
) -> MidiSender:
    """A sender for a device's connection (not started); ValueError for bad settings."""
    link = midi_connection(connection)
    if link.transport in ("udp", "ipmidi"):
        return UdpMidiSender(link)
    if link.transport == "rtmidi":
        return RtMidiSender(str(link.port_name), load_backend=load_backend)
    return InprocMidiSender(_bus(bus), str(link.port_name))


async def open_midi_receiver(
    connection: Mapping[str, ParamValue],
    on_message: MessageCallback,
    *,
    on_malformed: MalformedCallback | None = None,
    bus: MidiBus | None = None,
    ignore_from: Collection[Address] = (),
    load_backend: BackendLoader = load_rtmidi_backend,
) -> MidiReceiver:
    """Start listening as `connection` says; `on_message` gets each complete message.

    udp binds `host` (default 127.0.0.1) and `port` (default 0: any free port, read it back
    from `.port`); ipmidi joins the group on `interface`; rtmidi opens the input `port_name`
    (its thread hands messages to the event loop); inproc listens on `bus`. Callbacks run on
    the event loop; their exceptions are logged. ValueError for bad settings, DeviceError
    when the port cannot be opened.
    """
    link = midi_connection(connection, receiver=True)
    receiver: UdpMidiReceiver | RtMidiReceiver | InprocMidiReceiver
    if link.transport in ("udp", "ipmidi"):
        receiver = UdpMidiReceiver(
            link, on_message, on_malformed=on_malformed, ignore_from=ignore_from
        )
    elif link.transport == "rtmidi":
        receiver = RtMidiReceiver(str(link.port_name), on_message, load_backend=load_backend)
    else:
        receiver = InprocMidiReceiver(
            _bus(bus), str(link.port_name), on_message, on_malformed=on_malformed
        )
    await receiver.start()
    return receiver


def _bus(bus: MidiBus | None) -> MidiBus:
    if bus is None:
        raise ValueError("connection transport: inproc needs a MidiBus (it is for tests)")
    return bus
