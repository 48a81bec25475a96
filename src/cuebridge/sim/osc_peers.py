"""Who sent a simulated OSC device a packet: a UDP address, or a TCP connection with its framing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

from cuebridge.protocols.framing import (
    FramingError,
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)

MAX_WRITE_BUFFER: Final = 1 << 20
"""Replies to a TCP client that stopped reading are dropped beyond this many buffered bytes."""


@dataclass(frozen=True, slots=True)
class UdpPeer:
    """A UDP client, known by its address: replies go back to it."""

    host: str
    port: int

    @property
    def label(self) -> str:
        """How logs and the standalone runner name it."""
        return f"udp {self.host}:{self.port}"


class TcpPeer(asyncio.Protocol):
    """One TCP client connection; equal only to itself.

    Its framing is detected from the first byte it sends: 0x00 starts an OSC 1.0 int32 length
    prefix (no packet is 16 MB long), anything else is OSC 1.1 SLIP (0xC0, or a single-END
    sender starting with "/" or "#"). Replies use the same framing; SLIP until it has spoken.
    """

    def __init__(
        self,
        on_packet: Callable[[bytes, TcpPeer], None],
        on_bad_frame: Callable[[TcpPeer, str], None],
        on_open: Callable[[TcpPeer], None],
        on_close: Callable[[TcpPeer], None],
    ) -> None:
        self._on_packet = on_packet
        self._on_bad_frame = on_bad_frame
        self._on_open = on_open
        self._on_close = on_close
        self._transport: asyncio.Transport | None = None
        self._decoder: SlipDecoder | LengthPrefixDecoder | None = None
        self.label = "tcp (not connected)"
        self.closed = asyncio.Event()

    @property
    def framing(self) -> str | None:
        """The framing ("slip" or "length") once the client has sent something, else None."""
        if self._decoder is None:
            return None
        return "length" if isinstance(self._decoder, LengthPrefixDecoder) else "slip"

    @property
    def is_open(self) -> bool:
        """True while the connection is up."""
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self.label = f"tcp {peer[0]}:{peer[1]}"
        self._on_open(self)

    def data_received(self, data: bytes) -> None:
        if not data or not self.is_open:
            return
        if self._decoder is None:
            self._decoder = LengthPrefixDecoder() if data[0] == 0 else SlipDecoder()
        try:
            frames = self._decoder.feed(data)
        except FramingError as err:  # a bad length prefix cannot be resynced: hang up
            for frame in err.frames:
                self._on_packet(frame, self)
            self._on_bad_frame(self, str(err))
            self.abort()
            return
        if isinstance(self._decoder, SlipDecoder):
            for error in self._decoder.take_errors():
                self._on_bad_frame(self, str(error))
        for frame in frames:
            if self._transport is None or self._transport.is_closing():
                return  # went offline on an earlier frame
            self._on_packet(frame, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self.closed.set()
        self._on_close(self)

    def write(self, packet: bytes) -> bool:
        """Frame and write one packet; False if the connection is gone or not reading."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            return False
        framed = (
            length_prefix_encode(packet)
            if isinstance(self._decoder, LengthPrefixDecoder)
            else slip_encode(packet)
        )
        transport.write(framed)
        return True

    def abort(self) -> None:
        """Drop the connection at once (the device went offline or the stream is corrupt)."""
        if self._transport is not None:
            self._transport.abort()


Peer: TypeAlias = UdpPeer | TcpPeer
"""Whoever sent a message: the handler replies to it through the endpoint."""
