"""One OSC client's state: who it is, its role, and how replies reach it (UDP or TCP)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from cuebridge.protocols.osc import OscBundle, OscMessage, encode_packet
from cuebridge.runtime.roles import Role

logger = logging.getLogger(__name__)

MAX_UDP_SESSIONS = 512
"""UDP clients remembered at once; the least recently heard are forgotten first."""


class ClientSession:
    """A client: a TCP connection, or a UDP source address and port."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        stream: bool,
        role: Role,
        transmit: Callable[[ClientSession, bytes], None],
        close: Callable[[], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.stream = stream
        self.role = role
        self.source = f"{'osc-tcp' if stream else 'osc'}:{host}:{port}"
        """How commands name this client: osc:HOST:PORT or osc-tcp:HOST:PORT."""
        self.always_reply = False
        """QLab `/alwaysReply 1`: actions reply too (queries always do)."""
        self.reply_port: int | None = None
        """UDP: replies go to this port of the host instead of the source port."""
        self.qlab_updates = False
        """QLab `/updates 1`: push `/update/...` notices."""
        self.subscribed = False
        """Receiving `/cuebridge/out/...` feedback."""
        self.authenticated = False
        """Sent a valid passcode."""
        self.closed = False
        self._transmit = transmit
        self._close = close

    @property
    def pinned(self) -> bool:
        """Worth keeping when UDP clients must be forgotten: it holds state the client set."""
        return self.subscribed or self.authenticated or self.qlab_updates or self.always_reply

    @property
    def reply_address(self) -> tuple[str, int]:
        """Where UDP replies go."""
        return self.host, self.reply_port or self.port

    def send(self, packet: OscMessage | OscBundle) -> None:
        """Send a message to the client; never raises (a dead client is the transport's news)."""
        if self.closed:
            return
        try:
            self._transmit(self, encode_packet(packet))
        except (OSError, RuntimeError, ValueError) as err:
            logger.debug("cannot send to %s: %s", self.source, err)

    def close(self) -> None:
        """End the client's connection (TCP) or forget it (UDP)."""
        self.closed = True
        if self._close is not None:
            self._close()


class UdpSessions:
    """UDP clients by source address, bounded: a flood from many ports cannot grow it."""

    def __init__(self, limit: int = MAX_UDP_SESSIONS) -> None:
        self._limit = limit
        self._sessions: OrderedDict[tuple[str, int], ClientSession] = OrderedDict()
        self.evicted = 0

    def get(self, address: tuple[str, int], create: Callable[[], ClientSession]) -> ClientSession:
        """The session for `address`, created when new; marks it most recently used."""
        session = self._sessions.get(address)
        if session is not None and not session.closed:
            self._sessions.move_to_end(address)
            return session
        session = create()
        self._sessions[address] = session
        if len(self._sessions) > self._limit:
            self._evict(address)
        return session

    def _evict(self, newcomer: tuple[str, int]) -> None:
        """Forget one session to make room for `newcomer`; authenticated ones are never chosen.

        First the least recently heard client that set nothing (a flood of fresh source ports
        then only pushes out other one-off senders), then the least recently heard one that
        set state without a passcode (so such a flood cannot keep every new client out),
        else the newcomer itself: sessions that sent a valid passcode are never forgotten
        to make room for one that did not.
        """
        items = self._sessions.items()
        victim = next((k for k, s in items if k != newcomer and not s.pinned), None)
        if victim is None:
            victim = next((k for k, s in items if k != newcomer and not s.authenticated), newcomer)
        self._sessions.pop(victim).closed = True
        self.evicted += 1

    def forget(self, address: tuple[str, int]) -> None:
        """Drop a session (after `/disconnect`)."""
        self._sessions.pop(address, None)

    def __len__(self) -> int:
        return len(self._sessions)
