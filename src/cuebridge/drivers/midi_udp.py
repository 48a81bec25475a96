"""Raw MIDI over UDP: unicast and ipMIDI multicast senders and receivers on asyncio datagrams."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Final

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import MalformedCallback, MessageCallback, MidiConnection
from cuebridge.drivers.midi_link import LinkReceiver, LinkSender
from cuebridge.errors import DeviceError

logger = logging.getLogger(__name__)

MAX_DATAGRAM: Final = 1024
"""Messages are packed into datagrams up to this size (a longer sysex goes alone)."""
RECOVERY_DELAY: Final = 0.5
"""After an ICMP error, a send followed by this many quiet seconds clears UNREACHABLE."""

Address = tuple[str, int]


def pack_datagrams(messages: Sequence[bytes], limit: int = MAX_DATAGRAM) -> Iterator[bytes]:
    """Whole messages joined into as few datagrams of at most `limit` bytes as possible."""
    chunk = bytearray()
    for message in messages:
        if chunk and len(chunk) + len(message) > limit:
            yield bytes(chunk)
            chunk.clear()
        chunk += message
    if chunk:
        yield bytes(chunk)


class _Endpoint(asyncio.DatagramProtocol):
    """Forwards asyncio's datagram events to the owning sender or receiver."""

    def __init__(self, owner: UdpMidiSender | UdpMidiReceiver) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if isinstance(self.owner, UdpMidiReceiver):
            self.owner.datagram(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        self.owner.error(exc)

    def pause_writing(self) -> None:
        self.owner.paused = True

    def resume_writing(self) -> None:
        self.owner.paused = False


class UdpMidiSender(LinkSender):
    """Sends whole MIDI messages as UDP datagrams: unicast (`udp`) or ipMIDI multicast.

    Messages go out exactly as rendered (never with running status), several to a datagram.
    Unicast uses a connected socket so an ICMP port-unreachable comes back as UNREACHABLE;
    status is otherwise UNKNOWN, since UDP cannot confirm delivery. Multicast goes through
    `interface` (127.0.0.1 by default: host only) with the configured TTL. Counters count
    datagrams; `dropped` includes those sent while the OS buffer was full.
    """

    def __init__(self, link: MidiConnection, *, recovery_delay: float = RECOVERY_DELAY) -> None:
        if link.transport not in ("udp", "ipmidi"):
            raise ValueError(f"UdpMidiSender needs udp or ipmidi, got {link.transport}")
        super().__init__(link.describe())
        self.link = link
        self._transport: asyncio.DatagramTransport | None = None
        self._destination: Address | None = None
        self._recovery_delay = recovery_delay
        self._last_error = float("-inf")
        self._recovery: asyncio.TimerHandle | None = None
        self._closed = False
        self.paused = False

    @property
    def local_address(self) -> Address | None:
        """The socket's own address once started (ipMIDI receivers filter it out)."""
        if self._transport is None:
            return None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Open the socket; DeviceError when the address cannot be used."""
        if self._closed or self._transport is not None:
            raise RuntimeError(f"MIDI {self.link.describe()} already started or closed")
        loop = asyncio.get_running_loop()
        try:
            if self.link.transport == "udp":
                remote = (self.link.host, self.link.port or 0)
                self._transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self), remote_addr=remote
                )
            else:
                sock = _multicast_sender_socket(self.link)
                self._destination = self.link.ipmidi_address
                self._transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self), sock=sock
                )
        except OSError as err:
            self._status.set(DeviceStatus.UNREACHABLE, str(err))
            raise DeviceError(f"cannot open MIDI {self.link.describe()}: {err}") from err

    def send(self, messages: Sequence[bytes]) -> None:
        """Send whole messages now; never blocks, never raises for network trouble."""
        for datagram in pack_datagrams(messages):
            transport = self._transport
            if transport is None or self.paused:
                self.dropped += 1
                continue
            transport.sendto(datagram, self._destination)
            self.sent += 1
        if self._status.status is DeviceStatus.UNREACHABLE and self._recovery is None:
            loop = asyncio.get_running_loop()
            self._recovery = loop.call_later(
                self._recovery_delay, self._recovered_since, loop.time()
            )

    async def aclose(self) -> None:
        """Close the socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._recovery is not None:
            self._recovery.cancel()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def error(self, exc: Exception) -> None:
        """The OS reported a send error (on loopback: nobody listens on the port)."""
        self.errors += 1
        self._last_error = asyncio.get_running_loop().time()
        self._status.set(DeviceStatus.UNREACHABLE, str(exc) or type(exc).__name__)

    def _recovered_since(self, sent_at: float) -> None:
        self._recovery = None
        if self._last_error < sent_at and not self._closed:
            self._status.set(DeviceStatus.UNKNOWN, "sends no longer bounce")


class UdpMidiReceiver(LinkReceiver):
    """Receives raw MIDI datagrams (unicast or ipMIDI) and hands on each complete message.

    Each datagram is parsed on its own (running status is honoured within it); what cannot
    be used is dropped, counted in `malformed` and described to `on_malformed`. Datagrams
    from `ignore_from` (a local ipMIDI sender hearing itself) are skipped.
    """

    def __init__(
        self,
        link: MidiConnection,
        on_message: MessageCallback,
        *,
        on_malformed: MalformedCallback | None = None,
        ignore_from: Collection[Address] = (),
    ) -> None:
        super().__init__(link.describe(), on_message, on_malformed)
        self.link = link
        self._ignore = ignore_from
        self._transport: asyncio.DatagramTransport | None = None
        self.paused = False
        self.datagrams = 0
        self.ignored = 0
        """Datagrams skipped because they came from `ignore_from`."""

    @property
    def port(self) -> int:
        """The bound UDP port (0 before start)."""
        if self._transport is None:
            return 0
        return int(self._transport.get_extra_info("sockname")[1])

    async def start(self) -> None:
        """Bind and listen; DeviceError when the address is taken or invalid."""
        loop = asyncio.get_running_loop()
        try:
            if self.link.transport == "udp":
                local = (self.link.host, self.link.port or 0)
                self._transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self), local_addr=local
                )
            else:
                sock = _multicast_receiver_socket(self.link)
                self._transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Endpoint(self), sock=sock
                )
        except OSError as err:
            raise DeviceError(f"cannot listen for MIDI on {self.link.describe()}: {err}") from err

    async def aclose(self) -> None:
        """Stop listening; idempotent."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def datagram(self, data: bytes, source: Address) -> None:
        """One datagram arrived."""
        if source in self._ignore:
            self.ignored += 1
            return
        self.datagrams += 1
        self._hand_on_packet(data, source)

    def error(self, exc: Exception) -> None:
        """A socket error on a listening socket is logged only."""
        logger.debug("MIDI %s: socket error %s", self.link.describe(), exc)


def _multicast_sender_socket(link: MidiConnection) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        interface = socket.inet_aton(link.interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, link.ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sock.bind((link.interface, 0))
    except OSError:
        sock.close()
        raise
    return sock


def _multicast_receiver_socket(link: MidiConnection) -> socket.socket:
    group, port = link.ipmidi_address
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # every ipMIDI app listens
        sock.bind((group, port))  # the group address: only this group's datagrams arrive
        membership = socket.inet_aton(group) + socket.inet_aton(link.interface)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    except OSError:
        sock.close()
        raise
    return sock
