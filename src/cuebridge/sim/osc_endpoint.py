"""The OSC endpoint every simulated OSC device sits on: loopback UDP (and TCP), strict, faultable.

The endpoint receives, decodes (strictly, with `protocols.osc`), flattens bundles, applies the
fault switches and hands each message to the device's handler; the handler changes the device
state, answers through `send` and returns a note saying what it did. Malformed packets and
messages the device does not take are ignored silently, as real gear does, and counted by reason.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any, Final

from cuebridge.errors import DeviceError
from cuebridge.protocols.osc import OscBundle, OscDecodeError, OscMessage, decode_packet
from cuebridge.protocols.osc import encode_packet as encode
from cuebridge.runtime.clock import Clock, MonotonicClock
from cuebridge.sim.base import JsonDict
from cuebridge.sim.faults import WatchedFaults
from cuebridge.sim.osc_events import Handler, Heard, Ignored, Listener
from cuebridge.sim.osc_peers import Peer, TcpPeer, UdpPeer
from cuebridge.sim.osc_tcp import LOOPBACK, TcpListener
from cuebridge.sim.osc_text import decode_reason, format_message, preview

logger = logging.getLogger(__name__)

__all__ = ["LOOPBACK", "Handler", "Heard", "Ignored", "Listener", "OscEndpoint"]

HISTORY: Final = 50
_BIND_ATTEMPTS: Final = 20


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_packet: Callable[[bytes, Peer], None]) -> None:
        self._on_packet = on_packet

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._on_packet(data, UdpPeer(str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.debug("simulator UDP error (a client went away): %s", exc)


class OscEndpoint:
    """UDP on 127.0.0.1:`port` (0 = ephemeral), plus TCP on the same port number if `tcp`."""

    def __init__(
        self,
        name: str,
        handle: Handler,
        *,
        port: int = 0,
        tcp: bool = False,
        is_probe: Callable[[OscMessage], bool] | None = None,
        on_disconnect: Callable[[TcpPeer], None] | None = None,
        clock: Clock | None = None,
        seed: int | str | None = None,
        history: int = HISTORY,
    ) -> None:
        if not 0 <= port < 65536:
            raise ValueError(f"port must be 0-65535, got {port}")
        self.name = name
        self.faults = WatchedFaults(self._faults_changed)
        self.last: deque[Heard] = deque(maxlen=history)
        """The latest messages taken in, oldest first."""
        self.last_ignored: deque[Heard] = deque(maxlen=history)
        self._handle = handle
        self._is_probe = is_probe or (lambda message: False)
        self._clock = clock or MonotonicClock()
        self._rng = random.Random(name if seed is None else seed)
        self._requested_port = port
        self._port = port
        self._counts: Counter[str] = Counter()
        self._ignored: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp_listener = (
            TcpListener(name, self._on_packet, self._bad_frame, on_disconnect) if tcp else None
        )
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False

    @property
    def port(self) -> int:
        """The bound port (UDP, and TCP when offered); the requested one before start."""
        return self._port

    @property
    def tcp(self) -> bool:
        """True if the endpoint also accepts TCP connections."""
        return self._tcp_listener is not None

    async def listening(self) -> None:
        """Wait until TCP connections are accepted again (after the offline fault is cleared)."""
        if self._tcp_listener is not None:
            await self._tcp_listener.listening.wait()

    def tcp_peers(self) -> list[TcpPeer]:
        """Open TCP connections."""
        return [] if self._tcp_listener is None else self._tcp_listener.peers()

    def add_listener(self, listener: Listener) -> None:
        """Hear every message taken in and everything ignored (`cuebridge sim` prints them)."""
        self._listeners.append(listener)

    async def start(self) -> None:
        """Bind on 127.0.0.1; DeviceError if the port is taken."""
        if self._loop is not None or self._closed:
            raise RuntimeError(f"simulator {self.name!r} already started or closed")
        self._loop = asyncio.get_running_loop()
        fixed = self._requested_port != 0
        attempts = 1 if fixed or self._tcp_listener is None else _BIND_ATTEMPTS
        for attempt in range(1, attempts + 1):
            udp = await self._open_udp(self._requested_port)
            port = int(udp.get_extra_info("sockname")[1])
            try:
                if self._tcp_listener is not None:
                    await self._tcp_listener.open(port)
            except OSError as err:
                udp.close()
                if attempt == attempts:
                    raise DeviceError(f"cannot listen on tcp {LOOPBACK}:{port}: {err}") from err
                continue
            self._udp, self._port = udp, port
            break
        self._faults_changed()

    async def aclose(self) -> None:
        """Stop serving and close every socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._tcp_listener is not None:
            await self._tcp_listener.aclose()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
            await asyncio.sleep(0)  # let the transport close its socket

    def send(self, peer: Peer, message: OscMessage) -> None:
        """Answer or push one message to `peer`, after the `delay` fault; never while offline."""
        if self._closed or self.faults.offline or self._loop is None:
            return
        packet = encode(message)
        delay = self.faults.delay
        if delay <= 0:
            self._write(peer, packet)
            return

        def fire() -> None:
            self._timers.discard(handle)
            self._write(peer, packet)

        handle = self._loop.call_later(delay, fire)
        self._timers.add(handle)

    def stats(self) -> JsonDict:
        """Counters: packets, messages, sent, ignored by reason, fault effects, latest ignores."""
        return {
            "port": self._port,
            "packets": self._counts["packets"],
            "bundles": self._counts["bundles"],
            "messages": self._counts["messages"],
            "sent": self._counts["sent"],
            "ignored": dict(self._ignored),
            "ignored_total": sum(self._ignored.values()),
            "faults": dict(self._faulted),
            "tcp_clients": len(self.tcp_peers()),
            "last_ignored": [str(heard) for heard in self.last_ignored],
        }

    # --- receiving ---------------------------------------------------------------------------

    def _on_packet(self, data: bytes, peer: Peer) -> None:
        if self._closed:
            return
        if self.faults.offline:
            self._faulted["offline"] += 1
            self._notify(
                Heard(self._clock.now(), peer.label, "a packet", "device offline", "offline")
            )
            return
        if self.faults.drop_rate > 0 and self._rng.random() < self.faults.drop_rate:
            self._faulted["dropped"] += 1
            self._notify(Heard(self._clock.now(), peer.label, "a packet", "drop fault", "dropped"))
            return
        self._counts["packets"] += 1
        try:
            packet = decode_packet(data)
        except OscDecodeError as err:
            self._ignore(peer, decode_reason(err), str(err), preview(data))
            return
        for message in self._messages(packet):
            self._message(message, peer)

    def _messages(self, packet: OscMessage | OscBundle) -> Iterator[OscMessage]:
        """Bundle elements in order; timetags are not waited for (applied on receipt)."""
        if isinstance(packet, OscMessage):
            yield packet
            return
        self._counts["bundles"] += 1
        for element in packet.elements:
            yield from self._messages(element)

    def _message(self, message: OscMessage, peer: Peer) -> None:
        text = format_message(message)
        self._counts["messages"] += 1
        if self.faults.ignore_probes and self._is_probe(message):
            self._faulted["probes_ignored"] += 1
            self._record(Heard(self._clock.now(), peer.label, text, "probe not answered (fault)"))
            return
        try:
            note = self._handle(message, peer)
        except Ignored as err:
            self._ignore(peer, err.reason, err.detail, text)
            return
        except Exception:  # a simulator bug must not take the device (or the daemon) down
            logger.exception("%s: simulator failed on %s", self.name, text)
            self._ignore(peer, "internal_error", "the simulator failed on this message", text)
            return
        self._record(Heard(self._clock.now(), peer.label, text, note))

    def _ignore(self, peer: Peer, reason: str, detail: str, text: str) -> None:
        self._ignored[reason] += 1
        heard = Heard(self._clock.now(), peer.label, text, detail, reason)
        logger.debug("%s: %s", self.name, heard)
        self.last_ignored.append(heard)
        self._notify(heard)

    def _bad_frame(self, peer: TcpPeer, detail: str) -> None:
        self._ignore(peer, "bad_framing", detail, "a TCP frame")

    def _record(self, heard: Heard) -> None:
        self.last.append(heard)
        self._notify(heard)

    def _notify(self, heard: Heard) -> None:
        for listener in list(self._listeners):
            try:
                listener(heard)
            except Exception:
                logger.exception("%s: listener failed", self.name)

    # --- sending and sockets ---------------------------------------------------------------

    def _write(self, peer: Peer, packet: bytes) -> None:
        if self._closed or self.faults.offline:
            return
        if isinstance(peer, UdpPeer):
            if self._udp is None:
                return
            self._udp.sendto(packet, (peer.host, peer.port))
        elif not peer.write(packet):
            self._faulted["unsent_client_gone"] += 1
            return
        self._counts["sent"] += 1

    async def _open_udp(self, port: int) -> asyncio.DatagramTransport:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self._on_packet), local_addr=(LOOPBACK, port)
            )
        except OSError as err:
            raise DeviceError(f"cannot listen on udp {LOOPBACK}:{port}: {err}") from err
        return transport

    def _faults_changed(self) -> None:
        """Offline closes the TCP port and every connection; online opens it again."""
        if self._loop is None or self._closed or self._tcp_listener is None:
            return
        if self.faults.offline:
            self._tcp_listener.go_offline()
        else:
            self._tcp_listener.go_online()
