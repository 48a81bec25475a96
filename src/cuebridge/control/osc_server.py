"""OSC control transports: UDP datagrams and TCP with SLIP framing, feeding one dispatcher."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from cuebridge.control.osc_dispatch import OscDispatcher
from cuebridge.control.osc_session import ClientSession, UdpSessions
from cuebridge.protocols.framing import SlipDecoder, slip_encode

logger = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024
"""Largest OSC packet accepted over TCP; longer SLIP frames are dropped."""
MAX_TCP_CLIENTS = 64
MAX_WRITE_BUFFER = 1 << 20
"""A TCP client that leaves this much unread is dropped: it must not grow our memory."""


def _peer(address: Any) -> tuple[str, int]:
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return "?", 0


class UdpControlProtocol(asyncio.DatagramProtocol):
    """One datagram = one OSC packet; replies go back to the sender (or its reply port)."""

    def __init__(self, dispatcher: OscDispatcher) -> None:
        self._dispatcher = dispatcher
        self._transport: asyncio.DatagramTransport | None = None
        self.sessions = UdpSessions()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        host, port = _peer(addr)
        session = self.sessions.get((host, port), lambda: self._session(host, port))
        self._dispatcher.handle_packet(data, session)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable from a client that went away: nothing to do but note it
        logger.debug("OSC control UDP error: %s", exc)

    def _session(self, host: str, port: int) -> ClientSession:
        def forget() -> None:
            self.sessions.forget((host, port))

        session = ClientSession(
            host=host,
            port=port,
            stream=False,
            role=self._dispatcher.policy.role_for(host),
            transmit=self._transmit,
            close=forget,
        )
        return session

    def _transmit(self, session: ClientSession, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, session.reply_address)


class TcpControlProtocol(asyncio.Protocol):
    """One TCP client: SLIP frames in, SLIP frames out (QLab's TCP framing)."""

    def __init__(self, dispatcher: OscDispatcher, clients: set[TcpControlProtocol]) -> None:
        self._dispatcher = dispatcher
        self._clients = clients
        self._decoder = SlipDecoder(max_frame_size=MAX_FRAME)
        self._transport: asyncio.Transport | None = None
        self.session: ClientSession | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = self._transport = cast(asyncio.Transport, transport)
        host, port = _peer(stream.get_extra_info("peername"))
        if len(self._clients) >= MAX_TCP_CLIENTS:
            self._dispatcher.stats.rejected["too-many-clients"] += 1
            self._dispatcher.log.log(logging.WARNING, "OSC TCP %s:%d refused: too many", host, port)
            stream.abort()
            return
        self._clients.add(self)
        self.session = ClientSession(
            host=host,
            port=port,
            stream=True,
            role=self._dispatcher.policy.role_for(host),
            transmit=self._transmit,
            close=self.close,
        )
        logger.info("OSC TCP client %s connected", self.session.source)

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None:
            return
        for frame in self._decoder.feed(data):
            if session.closed:  # /disconnect, or dropped as a slow reader
                return
            self._dispatcher.handle_packet(frame, session)
        for error in self._decoder.take_errors():
            self._dispatcher.reject(session, "framing", str(error), None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._clients.discard(self)
        if self.session is not None:
            self.session.closed = True
            self._dispatcher.feedback.unsubscribe(self.session)
            logger.info("OSC TCP client %s disconnected", self.session.source)

    def close(self) -> None:
        """Close after what was written is flushed."""
        if self._transport is not None:
            self._transport.close()

    def _transmit(self, session: ClientSession, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            self._dispatcher.stats.rejected["slow-client"] += 1
            logger.warning("OSC TCP client %s reads too slowly: dropped", session.source)
            session.closed = True
            transport.abort()
            return
        transport.write(slip_encode(data))


class OscControlServer:
    """UDP and TCP listeners on one port; `start` returns when both are bound."""

    def __init__(self, dispatcher: OscDispatcher, host: str = "127.0.0.1", port: int = 53000):
        self.dispatcher = dispatcher
        self.host = host
        self.port = port
        self._udp: asyncio.DatagramTransport | None = None
        self._udp_protocol: UdpControlProtocol | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_clients: set[TcpControlProtocol] = set()

    @property
    def udp_port(self) -> int:
        """The bound UDP port (useful when started on port 0)."""
        assert self._udp is not None, "not started"
        return int(self._udp.get_extra_info("sockname")[1])

    @property
    def tcp_port(self) -> int:
        """The bound TCP port."""
        assert self._tcp is not None, "not started"
        return int(self._tcp.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Bind UDP first; TCP takes the same port number (port 0: UDP's ephemeral port)."""
        loop = asyncio.get_running_loop()
        self._udp, self._udp_protocol = await loop.create_datagram_endpoint(
            lambda: UdpControlProtocol(self.dispatcher), local_addr=(self.host, self.port)
        )
        try:
            self._tcp = await self._bind_tcp(self.udp_port)
        except OSError:
            if self.port:
                await self.aclose()
                raise
            self._tcp = await self._bind_tcp(0)  # ephemeral UDP port taken on TCP: any port
        logger.info(
            "OSC control on %s: UDP %d, TCP (SLIP) %d", self.host, self.udp_port, self.tcp_port
        )

    async def _bind_tcp(self, port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: TcpControlProtocol(self.dispatcher, self._tcp_clients), self.host, port
        )

    async def aclose(self) -> None:
        """Stop listening and drop every client."""
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for client in list(self._tcp_clients):
                client.close()
            await self._tcp.wait_closed()
            self._tcp = None
