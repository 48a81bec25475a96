"""The TCP side of a simulated OSC device: one listening port, closed while it is offline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Final

from cuebridge.sim.osc_peers import TcpPeer

logger = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"
REOPEN_RETRY: Final = 0.5
CLOSE_WAIT: Final = 1.0


class TcpListener:
    """Accepts OSC-over-TCP clients on 127.0.0.1; offline closes the port and every connection.

    Going offline stops listening (clients get "connection refused", as from a device that is
    switched off) and aborts the open connections; coming back listens on the same port again.
    """

    def __init__(
        self,
        name: str,
        on_packet: Callable[[bytes, TcpPeer], None],
        on_bad_frame: Callable[[TcpPeer, str], None],
        on_disconnect: Callable[[TcpPeer], None] | None,
    ) -> None:
        self._name = name
        self._on_packet = on_packet
        self._on_bad_frame = on_bad_frame
        self._on_disconnect = on_disconnect
        self._port = 0
        self._server: asyncio.Server | None = None
        self._reopen: asyncio.Task[None] | None = None
        self._peers: set[TcpPeer] = set()
        self._online = True
        self._closed = False
        self.listening = asyncio.Event()
        """Set while connections are accepted."""

    def peers(self) -> list[TcpPeer]:
        """Open connections."""
        return [peer for peer in self._peers if peer.is_open]

    async def open(self, port: int) -> None:
        """Listen on `port` (raises OSError when it is taken)."""
        self._server = await self._listen(port)
        self._port = port
        self.listening.set()

    def go_offline(self) -> None:
        """Stop listening and drop every connection."""
        self._online = False
        self.listening.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
        for peer in list(self._peers):
            peer.abort()

    def go_online(self) -> None:
        """Listen again on the same port (in the background, retrying while it is taken)."""
        self._online = True
        if self._closed or self._server is not None or self._reopen is not None or not self._port:
            return
        self._reopen = asyncio.get_running_loop().create_task(
            self._reopen_loop(), name=f"sim {self._name} tcp"
        )

    async def aclose(self) -> None:
        """Close the port and every connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        reopen = self._reopen
        if reopen is not None:
            reopen.cancel()
            await asyncio.wait([reopen])
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        peers = list(self._peers)
        for peer in peers:
            peer.abort()
        if peers:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_WAIT):
                    await asyncio.gather(*(peer.closed.wait() for peer in peers))

    async def _listen(self, port: int) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        return await loop.create_server(self._new_peer, LOOPBACK, port)

    async def _reopen_loop(self) -> None:
        try:
            while self._online and not self._closed and self._server is None:
                opening = asyncio.ensure_future(self._listen(self._port))
                try:
                    server = await asyncio.shield(opening)
                except asyncio.CancelledError:  # closing: do not leak a half-made listener
                    with contextlib.suppress(Exception):
                        late = await opening
                        late.close()
                        await late.wait_closed()
                    raise
                except OSError as err:
                    logger.warning("%s: cannot listen on tcp again: %s", self._name, err)
                    await asyncio.sleep(REOPEN_RETRY)
                    continue
                self._server = server
                self.listening.set()
        finally:
            self._reopen = None
        if not self._online:  # went offline again while reopening
            self.go_offline()

    def _new_peer(self) -> TcpPeer:
        return TcpPeer(self._on_packet, self._on_bad_frame, self._opened, self._lost)

    def _opened(self, peer: TcpPeer) -> None:
        self._peers.add(peer)
        if not self._online or self._closed:
            peer.abort()

    def _lost(self, peer: TcpPeer) -> None:
        self._peers.discard(peer)
        if self._on_disconnect is not None and not self._closed:
            self._on_disconnect(peer)
