"""E1.31 receiver rules: per-source streams, sequence checks, priority and HTP merge, loss, sync.

Rules (protocols.md §1.3-1.4):
1. A stream is one source (CID) on one universe. Its packets pass the sequence check (discard
   when new - last, as signed 8-bit, is in (-20, 0]); sync packets have their own per CID.
2. Preview packets are for visualisers and are ignored; so are START codes other than 0
   (0xDD per-address priority among them), though they still advance the sequence.
3. A stream is lost after `timeout` s without packets, or at its first Stream_Terminated
   packet (whose slots are ignored); the later terminated packets find no stream.
4. A universe's output: the highest priority among its live streams wins, and the streams at
   that priority merge highest-takes-precedence per slot. With no stream left the output is
   dark, or holds its last look when asked to.
5. Universe sync starts with the first sync packet for an address: data with that sync
   address is then held until the next sync packet for it. Once sync packets have stopped for
   `timeout` s, data with Force_Synchronization runs unsynchronized, other data stays held.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from cuebridge.protocols.sacn import (
    MAX_SLOTS,
    NETWORK_DATA_LOSS_TIMEOUT,
    START_CODE_LEVELS,
    SacnDataPacket,
    SacnDiscoveryPacket,
    SacnSyncPacket,
    sequence_is_newer,
)

DARK: Final = bytes(MAX_SLOTS)
MAX_STREAMS: Final = 4096
"""Bound on the streams one receiver tracks; packets beyond it are ignored."""


@dataclass(slots=True)
class Stream:
    """What one source last sent on one universe."""

    cid: bytes
    universe: int
    name: str
    priority: int
    last_seen: float
    sequence: int | None = None
    levels: bytes = DARK
    sync_address: int = 0
    pending: bytes | None = None


@dataclass(slots=True)
class MergeCounters:
    """What the receiver took in and what became of it."""

    accepted: int = 0
    terminations: int = 0
    losses: int = 0
    syncs: int = 0
    discovery: int = 0
    events: list[str] = field(default_factory=list)
    """New, lost and terminated sources since the caller last cleared it."""


class SacnMerge:
    """The merged output of every universe a receiver hears, from packets fed with their time."""

    def __init__(
        self, *, timeout: float = NETWORK_DATA_LOSS_TIMEOUT, hold_last_look: bool = False
    ) -> None:
        self._timeout, self._hold = timeout, hold_last_look
        self._streams: dict[int, dict[bytes, Stream]] = {}
        self._output: dict[int, bytes] = {}
        self._sync_sequence: dict[bytes, int] = {}
        self._sync_seen: dict[int, float] = {}
        self.counters = MergeCounters()

    def receive(
        self, packet: SacnDataPacket | SacnSyncPacket | SacnDiscoveryPacket, now: float
    ) -> str | None:
        """Apply one parsed packet at `now`; return why it was ignored, or None if taken in."""
        self.expire(now)
        if isinstance(packet, SacnDataPacket):
            reason = self._data(packet, now)
        elif isinstance(packet, SacnSyncPacket):
            reason = self._sync(packet, now)
        else:
            self.counters.discovery += 1
            reason = None
        if reason is None:
            self.counters.accepted += 1
        return reason

    def expire(self, now: float) -> None:
        """Drop every stream not heard from for longer than the timeout (rule 3)."""
        for universe, streams in self._streams.items():
            lost = [cid for cid, s in streams.items() if now - s.last_seen > self._timeout]
            for cid in lost:
                stream = streams.pop(cid)
                self.counters.losses += 1
                self.counters.events.append(f"source {stream.name!r} lost on universe {universe}")
            if lost:
                self._merge(universe)

    def output(self) -> dict[int, bytes]:
        """Every universe heard so far and its merged 512 slots."""
        return dict(self._output)

    def sources(self) -> list[dict[str, object]]:
        """The live sources: name, CID, priority (the highest of its streams) and universes."""
        by_cid: dict[bytes, list[Stream]] = {}
        for streams in self._streams.values():
            for stream in streams.values():
                by_cid.setdefault(stream.cid, []).append(stream)
        return [
            {
                "name": streams[0].name,
                "cid": str(uuid.UUID(bytes=cid)),
                "priority": max(stream.priority for stream in streams),
                "universes": sorted(stream.universe for stream in streams),
            }
            for cid, streams in sorted(by_cid.items(), key=lambda item: item[1][0].name)
        ]

    def _data(self, packet: SacnDataPacket, now: float) -> str | None:
        if packet.preview:
            return "preview"
        streams = self._streams.setdefault(packet.universe, {})
        stream = streams.get(packet.cid)
        if stream is not None and not sequence_is_newer(stream.sequence, packet.sequence):
            return "sequence"
        if packet.start_code != START_CODE_LEVELS:
            if stream is not None:
                stream.sequence = packet.sequence
            return "start-code"
        if packet.terminated:
            if stream is None:
                return "after-termination"
            del streams[packet.cid]
            self.counters.terminations += 1
            self.counters.events.append(
                f"source {stream.name!r} terminated universe {packet.universe}"
            )
            self._merge(packet.universe)
            return None
        if stream is None:
            if sum(len(s) for s in self._streams.values()) >= MAX_STREAMS:
                return "too-many-sources"
            stream = streams[packet.cid] = Stream(
                packet.cid, packet.universe, packet.source_name, packet.priority, now
            )
            self.counters.events.append(
                f"source {packet.source_name!r} on universe {packet.universe}"
            )
        stream.sequence, stream.last_seen = packet.sequence, now
        stream.name, stream.priority = packet.source_name, packet.priority
        levels = packet.slots.ljust(MAX_SLOTS, b"\0")  # short packets are legal
        if self._held(packet, now):
            stream.pending, stream.sync_address = levels, packet.sync_address
            return None
        stream.levels, stream.pending = levels, None
        self._merge(packet.universe)
        return None

    def _held(self, packet: SacnDataPacket, now: float) -> bool:
        """Whether rule 5 holds this packet's data until a sync packet."""
        seen = self._sync_seen.get(packet.sync_address) if packet.sync_address else None
        if seen is None:
            return False
        return now - seen <= self._timeout or not packet.force_sync

    def _sync(self, packet: SacnSyncPacket, now: float) -> str | None:
        if not sequence_is_newer(self._sync_sequence.get(packet.cid), packet.sequence):
            return "sequence"
        self._sync_sequence[packet.cid] = packet.sequence
        self._sync_seen[packet.sync_address] = now
        self.counters.syncs += 1
        for universe, streams in self._streams.items():
            released = False
            for stream in streams.values():
                if stream.pending is not None and stream.sync_address == packet.sync_address:
                    stream.levels, stream.pending = stream.pending, None
                    released = True
            if released:
                self._merge(universe)
        return None

    def _merge(self, universe: int) -> None:
        """Recompute one universe's output (rule 4)."""
        live = list(self._streams.get(universe, {}).values())
        if not live:
            if not self._hold or universe not in self._output:
                self._output[universe] = DARK
            return
        top = max(stream.priority for stream in live)
        winners = [stream.levels for stream in live if stream.priority == top]
        if len(winners) == 1:
            self._output[universe] = winners[0]
            return
        stacked = np.frombuffer(b"".join(winners), dtype=np.uint8).reshape(len(winners), -1)
        self._output[universe] = stacked.max(axis=0).tobytes()
