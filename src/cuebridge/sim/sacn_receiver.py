"""Simulated sACN receiver on 127.0.0.1: merged DMX levels per universe and per patched fixture."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from collections.abc import Callable
from typing import ClassVar, Final

from cuebridge.config.profile_model import Profile
from cuebridge.core.dmx_patch import DmxPatch
from cuebridge.protocols.sacn import NETWORK_DATA_LOSS_TIMEOUT, SacnDecodeError, parse_packet
from cuebridge.runtime.clock import Clock, MonotonicClock
from cuebridge.sim.base import JsonDict
from cuebridge.sim.faults import WatchedFaults
from cuebridge.sim.sacn_merge import SacnMerge

logger = logging.getLogger(__name__)

LOOPBACK: Final = "127.0.0.1"
HISTORY: Final = 50
"""How many ignored packets `stats()` lists."""


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, receive: Callable[[bytes, tuple[str, int]], None]) -> None:
        self._receive = receive

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._receive(data, addr)


class SacnReceiverSim:
    """An sACN receiver (a DMX node and its rig) listening for unicast on 127.0.0.1.

    It applies the E1.31 receiver rules of `SacnMerge` (priority, HTP, sequence, preview,
    2.5 s loss, termination, sync) and shows the merged levels per universe and, through
    `patch`, per fixture in the show's unit. Loss is checked against `clock` whenever a
    packet arrives or the state is read (or on `expire`), so tests drive it with a FakeClock.
    Malformed and ignored packets are counted by reason, never raised. Faults: `offline`
    ignores everything, `drop_rate` drops that share of packets, `delay` applies packets
    late; a receiver has no probes to ignore.
    """

    KIND: ClassVar[str] = "sacn"
    TRANSPORTS: ClassVar[tuple[str, ...]] = ("udp",)

    def __init__(
        self,
        name: str,
        *,
        profile: Profile | None = None,
        port: int = 0,
        patch: DmxPatch | None = None,
        clock: Clock | None = None,
        seed: int | str | None = None,
        hold_last_look: bool = False,
        timeout: float = NETWORK_DATA_LOSS_TIMEOUT,
    ) -> None:
        if not 0 <= port < 65536:
            raise ValueError(f"port must be 0-65535, got {port}")
        self._name, self.profile, self._port = name, profile, port
        self._patch = DmxPatch() if patch is None else patch
        self._clock: Clock = clock or MonotonicClock()
        self._rng = random.Random(name if seed is None else seed)
        self._faults = WatchedFaults()
        self._merge = SacnMerge(timeout=timeout, hold_last_look=hold_last_look)
        self._packets = 0
        self._ignored: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._last_ignored: deque[str] = deque(maxlen=HISTORY)
        self._changed = asyncio.Event()
        self._transport: asyncio.DatagramTransport | None = None
        self._delayed: set[asyncio.TimerHandle] = set()

    @property
    def name(self) -> str:
        """The device name it stands in for."""
        return self._name

    @property
    def kind(self) -> str:
        """Family: sacn."""
        return self.KIND

    @property
    def transports(self) -> tuple[str, ...]:
        """Profile transports it accepts."""
        return self.TRANSPORTS

    @property
    def port(self) -> int:
        """The bound port (after start)."""
        return self._port

    @property
    def faults(self) -> WatchedFaults:
        """Live fault switches; set a field to inject a failure."""
        return self._faults

    @property
    def patch(self) -> DmxPatch:
        """The fixtures shown in `state()["fixtures"]`."""
        return self._patch

    async def start(self) -> None:
        """Bind a UDP socket on 127.0.0.1 (port 0 = ephemeral) and listen."""
        if self._transport is not None:
            raise RuntimeError(f"sACN simulator {self._name!r} already started")
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._datagram), local_addr=(LOOPBACK, self._port)
        )
        self._transport = transport
        self._port = transport.get_extra_info("sockname")[1]

    async def aclose(self) -> None:
        """Stop listening; idempotent."""
        for handle in self._delayed:
            handle.cancel()
        self._delayed.clear()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            await asyncio.sleep(0)  # let the transport finish closing

    def expire(self, now: float | None = None) -> None:
        """Apply the 2.5 s source-loss rule at `now` (default: the clock's now)."""
        self._merge.expire(self._clock.now() if now is None else now)
        self._log_events()

    def state(self) -> JsonDict:
        """Merged levels by universe, the patched fixtures' values and colours, live sources."""
        self.expire()
        output = self._merge.output()
        return {
            "kind": self.KIND,
            "universes": {str(universe): list(levels) for universe, levels in output.items()},
            "fixtures": self._patch.view(output),
            "sources": self._merge.sources(),
        }

    def stats(self) -> JsonDict:
        """Counters: packets, taken in, ignored by reason, fault effects, latest ignores."""
        counters = self._merge.counters
        return {
            "port": self._port,
            "packets": self._packets,
            "accepted": counters.accepted,
            "terminations": counters.terminations,
            "losses": counters.losses,
            "syncs": counters.syncs,
            "discovery": counters.discovery,
            "ignored": dict(self._ignored),
            "ignored_total": sum(self._ignored.values()),
            "faults": dict(self._faulted),
            "last_ignored": list(self._last_ignored),
        }

    async def until(self, predicate: Callable[[JsonDict], bool]) -> JsonDict:
        """Wait until the state satisfies `predicate`, checked after each packet.

        It waits as long as it takes: bound it with `asyncio.timeout`.
        """
        while True:
            changed = self._changed
            state = self.state()
            if predicate(state):
                return state
            await changed.wait()

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._faults.offline:
            self._faulted["offline"] += 1
        elif self._faults.drop_rate > 0 and self._rng.random() < self._faults.drop_rate:
            self._faulted["dropped"] += 1
        elif self._faults.delay > 0:
            loop = asyncio.get_running_loop()
            self._delayed = {handle for handle in self._delayed if handle.when() > loop.time()}
            self._delayed.add(loop.call_later(self._faults.delay, self._take, data, addr))
            self._faulted["delayed"] += 1
        else:
            self._take(data, addr)
            return
        self._pulse()

    def _take(self, data: bytes, addr: tuple[str, int]) -> None:
        self._packets += 1
        peer = f"{addr[0]}:{addr[1]}"
        try:
            packet = parse_packet(data)
        except SacnDecodeError as err:
            self._ignore("malformed", f"{len(data)} bytes from {peer}: {err}")
        else:
            reason = self._merge.receive(packet, self._clock.now())
            self._log_events()
            if reason is not None:
                self._ignore(reason, f"{type(packet).__name__} from {peer}")
        self._pulse()

    def _pulse(self) -> None:
        """Wake `until` callers, whatever became of the packet."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _ignore(self, reason: str, detail: str) -> None:
        self._ignored[reason] += 1
        self._last_ignored.append(f"{reason}: {detail}")
        logger.debug("%s: ignored %s: %s", self._name, reason, detail)

    def _log_events(self) -> None:
        events = self._merge.counters.events
        for event in events:
            logger.info("%s: %s", self._name, event)
        events.clear()
