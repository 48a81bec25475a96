"""An in-process MIDI network for tests: a bus object with named ports, passed around explicitly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import MalformedCallback, MessageCallback
from cuebridge.drivers.midi_link import LinkReceiver, LinkSender

PacketListener = Callable[[bytes], None]


class MidiBus:
    """Named in-memory MIDI ports: every packet sent to a port reaches each of its listeners.

    Delivery is deferred with `loop.call_soon`, as a network would, so a sender never runs
    a receiver's code inside its own call. There is no global bus: create one per test.
    """

    def __init__(self) -> None:
        self._listeners: dict[str, list[PacketListener]] = {}
        self.packets = 0
        """Packets sent on any port."""

    def listen(self, port_name: str, listener: PacketListener) -> Callable[[], None]:
        """Hear every packet sent to `port_name`; returns a function that stops listening."""
        listeners = self._listeners.setdefault(port_name, [])
        listeners.append(listener)

        def stop() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return stop

    def listeners(self, port_name: str) -> int:
        """How many listeners a port has."""
        return len(self._listeners.get(port_name, ()))

    def send(self, port_name: str, packet: bytes) -> None:
        """Deliver `packet` to the port's current listeners on the next loop iteration."""
        self.packets += 1
        loop = asyncio.get_running_loop()
        for listener in list(self._listeners.get(port_name, ())):
            loop.call_soon(listener, packet)


class InprocMidiSender(LinkSender):
    """Sends whole messages to a bus port as one packet per `send`. Status: OK once started."""

    def __init__(self, bus: MidiBus, port_name: str) -> None:
        super().__init__(f"inproc port {port_name!r}")
        self.bus = bus
        self.port_name = port_name
        self._open = False
        self._closed = False

    async def start(self) -> None:
        """Ready at once."""
        if self._closed or self._open:
            raise RuntimeError(f"MIDI inproc port {self.port_name!r} already started or closed")
        self._open = True
        self._status.set(DeviceStatus.OK, "in-process port open")

    def send(self, messages: Sequence[bytes]) -> None:
        """Put the messages on the bus."""
        if not self._open or not messages:
            self.dropped += bool(messages)
            return
        self.bus.send(self.port_name, b"".join(messages))
        self.sent += 1

    async def aclose(self) -> None:
        """Stop sending; idempotent."""
        self._open, self._closed = False, True


class InprocMidiReceiver(LinkReceiver):
    """Listens on a bus port and parses each packet like a datagram."""

    def __init__(
        self,
        bus: MidiBus,
        port_name: str,
        on_message: MessageCallback,
        *,
        on_malformed: MalformedCallback | None = None,
    ) -> None:
        super().__init__(f"inproc {port_name!r}", on_message, on_malformed)
        self.bus = bus
        self.port_name = port_name
        self._stop: Callable[[], None] | None = None

    @property
    def port(self) -> int:
        """In-process ports have no number."""
        return 0

    async def start(self) -> None:
        """Start listening."""
        if self._stop is None:
            self._stop = self.bus.listen(self.port_name, self._hand_on_packet)

    async def aclose(self) -> None:
        """Stop listening; idempotent."""
        if self._stop is not None:
            self._stop()
            self._stop = None
