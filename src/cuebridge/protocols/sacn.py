"""sACN (ANSI E1.31) data, synchronization and universe-discovery packets, built and parsed."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntFlag
from typing import Final

from cuebridge.errors import CuebridgeError

SACN_PORT: Final = 5568
DISCOVERY_UNIVERSE: Final = 64214
MIN_UNIVERSE: Final = 1
MAX_UNIVERSE: Final = 63999
DEFAULT_PRIORITY: Final = 100
MAX_PRIORITY: Final = 200
MAX_SLOTS: Final = 512
MAX_REFRESH_RATE: Final = 44  # packets/s per universe: E1.11 DMX timing for 512 slots
MAX_UNIVERSES_PER_PAGE: Final = 512
NETWORK_DATA_LOSS_TIMEOUT: Final = 2.5  # seconds
DISCOVERY_INTERVAL: Final = 10.0  # seconds
TERMINATION_PACKETS: Final = 3
START_CODE_LEVELS: Final = 0x00
START_CODE_PER_ADDRESS_PRIORITY: Final = 0xDD
SEQUENCE_DISCARD_WINDOW: Final = 20

ACN_PACKET_IDENTIFIER: Final = b"ASC-E1.17\x00\x00\x00"
VECTOR_ROOT_E131_DATA: Final = 0x04
VECTOR_ROOT_E131_EXTENDED: Final = 0x08
VECTOR_E131_DATA_PACKET: Final = 0x02
VECTOR_E131_EXTENDED_SYNCHRONIZATION: Final = 0x01
VECTOR_E131_EXTENDED_DISCOVERY: Final = 0x02
VECTOR_DMP_SET_PROPERTY: Final = 0x02
VECTOR_UNIVERSE_DISCOVERY_UNIVERSE_LIST: Final = 0x01

DATA_HEADER_SIZE: Final = 126  # bytes before slot 1
SYNC_PACKET_SIZE: Final = 49
DISCOVERY_HEADER_SIZE: Final = 120

_ROOT: Final = struct.Struct(">HH12sHI16s")  # bytes 0-37
_DATA_FRAMING: Final = struct.Struct(">HI64sBHBBH")  # bytes 38-114
_DMP: Final = struct.Struct(">HBBHHHB")  # bytes 115-125
_SYNC_FRAMING: Final = struct.Struct(">HIBHH")  # bytes 38-48
_DISCOVERY_FRAMING: Final = struct.Struct(">HI64s4x")  # bytes 38-111
_DISCOVERY_LAYER: Final = struct.Struct(">HIBB")  # bytes 112-119


class SacnDecodeError(CuebridgeError, ValueError):
    """A datagram is not a valid E1.31 packet."""


class DataOptions(IntFlag):
    """Framing-layer option bits of a data packet."""

    NONE = 0
    PREVIEW = 0x80
    TERMINATED = 0x40
    FORCE_SYNC = 0x20


@dataclass(frozen=True, slots=True)
class SacnDataPacket:
    """A parsed E1.31 data packet (`slots` excludes the START code)."""

    cid: bytes
    source_name: str
    universe: int
    slots: bytes
    sequence: int
    priority: int = DEFAULT_PRIORITY
    sync_address: int = 0
    preview: bool = False
    terminated: bool = False
    force_sync: bool = False
    start_code: int = START_CODE_LEVELS


@dataclass(frozen=True, slots=True)
class SacnSyncPacket:
    """A parsed E1.31 synchronization packet."""

    cid: bytes
    sync_address: int
    sequence: int


@dataclass(frozen=True, slots=True)
class SacnDiscoveryPacket:
    """A parsed universe discovery packet (one page of the source's universe list)."""

    cid: bytes
    source_name: str
    universes: tuple[int, ...]
    page: int = 0
    last_page: int = 0


def _flags_length(length: int) -> int:
    return 0x7000 | length


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_byte(name: str, value: int, high: int = 255) -> None:
    _check(0 <= value <= high, f"sACN {name} must be 0-{high}, got {value}")


def _root(cid: bytes, total: int, vector: int) -> bytes:
    _check(len(cid) == 16, f"sACN CID must be 16 bytes, got {len(cid)}")
    return _ROOT.pack(0x0010, 0, ACN_PACKET_IDENTIFIER, _flags_length(total - 16), vector, cid)


def _name_field(name: str) -> bytes:
    raw = name.encode("utf-8")
    _check(len(raw) <= 63, f"sACN source name must be at most 63 UTF-8 bytes, got {len(raw)}")
    _check(b"\x00" not in raw, "sACN source name must not contain NUL")
    return raw


def _check_universe(universe: int, what: str = "universe") -> None:
    ok = MIN_UNIVERSE <= universe <= MAX_UNIVERSE
    _check(ok, f"sACN {what} must be {MIN_UNIVERSE}-{MAX_UNIVERSE}, got {universe}")


def build_data_packet(
    cid: bytes,
    source_name: str,
    universe: int,
    slots: bytes,
    sequence: int,
    priority: int = DEFAULT_PRIORITY,
    sync_address: int = 0,
    preview: bool = False,
    terminated: bool = False,
    force_sync: bool = False,
    start_code: int = START_CODE_LEVELS,
) -> bytes:
    """Build a data packet of 126 + len(slots) bytes (slots: 1-512 bytes, no padding)."""
    options = (
        (DataOptions.PREVIEW if preview else 0)
        | (DataOptions.TERMINATED if terminated else 0)
        | (DataOptions.FORCE_SYNC if force_sync else 0)
    )
    template = DataPacketTemplate(
        cid, source_name, universe, len(slots), priority, sync_address, start_code
    )
    return template.render(sequence, slots, options)


class DataPacketTemplate:
    """A prebuilt data packet for one (cid, name, universe, priority, slot count).

    render() patches sequence, options and slots in place and copies the buffer out. Measured
    for 512 slots (CPython 3.11, 2-core VM): render 0.4 us (0.5 us from a numpy array),
    build_data_packet 3.3 us, parse_packet 4.9 us, the sacn package's getBytes() 3.9 us.
    """

    __slots__ = ("_buf", "slot_count", "universe")

    def __init__(
        self,
        cid: bytes,
        source_name: str,
        universe: int,
        slot_count: int = MAX_SLOTS,
        priority: int = DEFAULT_PRIORITY,
        sync_address: int = 0,
        start_code: int = START_CODE_LEVELS,
    ) -> None:
        _check_universe(universe)
        _check(1 <= slot_count <= MAX_SLOTS, f"sACN slot count must be 1-512, got {slot_count}")
        _check_byte("priority", priority, MAX_PRIORITY)
        valid_sync = sync_address == 0 or MIN_UNIVERSE <= sync_address <= MAX_UNIVERSE
        _check(valid_sync, f"sACN sync address must be 0 or 1-63999, got {sync_address}")
        _check_byte("start code", start_code)
        self.universe = universe
        self.slot_count = slot_count
        total = DATA_HEADER_SIZE + slot_count
        framing = (_flags_length(total - 38), VECTOR_E131_DATA_PACKET, _name_field(source_name))
        dmp = (_flags_length(total - 115), VECTOR_DMP_SET_PROPERTY, 0xA1, 0, 1, slot_count + 1)
        self._buf = bytearray(
            _root(cid, total, VECTOR_ROOT_E131_DATA)
            + _DATA_FRAMING.pack(*framing, priority, sync_address, 0, 0, universe)
            + _DMP.pack(*dmp, start_code)
            + bytes(slot_count)
        )

    def render(
        self, sequence: int, slots: bytes | bytearray | memoryview, options: int = 0
    ) -> bytes:
        """Packet bytes for this sequence (wrapped to 0-255), DataOptions bits and slot values.

        `slots` may be any buffer of slot_count bytes, e.g. a numpy uint8 array's `.data`.
        """
        view = memoryview(slots)
        if view.nbytes != self.slot_count:
            raise ValueError(f"expected {self.slot_count} slot bytes, got {view.nbytes}")
        if options & ~0xE0:
            raise ValueError(f"sACN options {options:#x} set reserved bits")
        buf = self._buf
        buf[111] = sequence & 0xFF
        buf[112] = options
        buf[DATA_HEADER_SIZE:] = view
        return bytes(buf)


def build_sync_packet(cid: bytes, sync_address: int, sequence: int) -> bytes:
    """Build a 49-byte synchronization packet."""
    _check_universe(sync_address, "sync address")
    framing = _SYNC_FRAMING.pack(
        _flags_length(11), VECTOR_E131_EXTENDED_SYNCHRONIZATION, sequence & 0xFF, sync_address, 0
    )
    return _root(cid, SYNC_PACKET_SIZE, VECTOR_ROOT_E131_EXTENDED) + framing


def build_discovery_packet(
    cid: bytes, name: str, universes: tuple[int, ...] | list[int], page: int, last_page: int
) -> bytes:
    """Build one universe-discovery page (the universes are sent sorted)."""
    ordered = sorted(universes)
    count = len(ordered)
    _check(count <= MAX_UNIVERSES_PER_PAGE, f"at most 512 universes per page, got {count}")
    for universe in ordered:
        _check_universe(universe)
    _check_byte("last page", last_page)
    _check(0 <= page <= last_page, f"sACN page must be 0-{last_page}, got {page}")
    total = DISCOVERY_HEADER_SIZE + 2 * count
    framing = (_flags_length(total - 38), VECTOR_E131_EXTENDED_DISCOVERY, _name_field(name))
    layer = (_flags_length(total - 112), VECTOR_UNIVERSE_DISCOVERY_UNIVERSE_LIST, page, last_page)
    return (
        _root(cid, total, VECTOR_ROOT_E131_EXTENDED)
        + _DISCOVERY_FRAMING.pack(*framing)
        + _DISCOVERY_LAYER.pack(*layer)
        + struct.pack(f">{count}H", *ordered)
    )


def _fail(message: str, offset: int) -> SacnDecodeError:
    return SacnDecodeError(f"{message} (at byte {offset})")


def _expect_pdu(flags_length: int, expected: int, offset: int, layer: str) -> None:
    if flags_length >> 12 != 0x7:
        raise _fail(f"{layer} flags are {flags_length >> 12:#x}, expected 0x7", offset)
    if flags_length & 0x0FFF != expected:
        length = flags_length & 0x0FFF
        raise _fail(f"{layer} length {length} does not match datagram ({expected})", offset)


def _source_name(raw: bytes) -> str:
    # names are NUL-terminated; a 64-byte name without NUL is taken whole, bad UTF-8 replaced
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace")


def parse_packet(
    data: bytes | bytearray | memoryview,
) -> SacnDataPacket | SacnSyncPacket | SacnDiscoveryPacket:
    """Parse one E1.31 datagram; raise SacnDecodeError (only) when it is malformed."""
    raw = bytes(data)
    size = len(raw)
    if size < SYNC_PACKET_SIZE:
        raise _fail(f"datagram of {size} bytes is shorter than any E1.31 packet", 0)
    preamble, postamble, acn_id, root_fl, vector, cid = _ROOT.unpack_from(raw)
    if (preamble, postamble, acn_id) != (0x0010, 0, ACN_PACKET_IDENTIFIER):
        raise _fail("bad preamble or ACN packet identifier", 0)
    _expect_pdu(root_fl, size - 16, 16, "root layer")
    framing_vector = struct.unpack_from(">I", raw, 40)[0]
    if vector == VECTOR_ROOT_E131_DATA:
        if framing_vector != VECTOR_E131_DATA_PACKET:
            raise _fail(f"unknown data framing vector {framing_vector:#x}", 40)
        return _parse_data(raw, cid)
    if vector != VECTOR_ROOT_E131_EXTENDED:
        raise _fail(f"unknown root vector {vector:#x}", 18)
    if framing_vector == VECTOR_E131_EXTENDED_SYNCHRONIZATION:
        _expect_pdu(struct.unpack_from(">H", raw, 38)[0], size - 38, 38, "framing layer")
        if size != SYNC_PACKET_SIZE:
            raise _fail(f"sync packet must be {SYNC_PACKET_SIZE} bytes, got {size}", 0)
        _, _, sequence, sync_address, _ = _SYNC_FRAMING.unpack_from(raw, 38)
        if not MIN_UNIVERSE <= sync_address <= MAX_UNIVERSE:
            raise _fail(f"sync address {sync_address} out of range", 45)
        return SacnSyncPacket(cid, sync_address, sequence)
    if framing_vector == VECTOR_E131_EXTENDED_DISCOVERY:
        return _parse_discovery(raw, cid)
    raise _fail(f"unknown extended framing vector {framing_vector:#x}", 40)


def _parse_data(raw: bytes, cid: bytes) -> SacnDataPacket:
    size = len(raw)
    if size < DATA_HEADER_SIZE:
        raise _fail(f"data packet of {size} bytes is shorter than {DATA_HEADER_SIZE}", 0)
    if size > DATA_HEADER_SIZE + MAX_SLOTS:
        raise _fail(f"data packet of {size} bytes carries more than {MAX_SLOTS} slots", 0)
    framing_fl, _, name, priority, sync, sequence, options, universe = _DATA_FRAMING.unpack_from(
        raw, 38
    )
    _expect_pdu(framing_fl, size - 38, 38, "framing layer")
    if priority > MAX_PRIORITY:
        raise _fail(f"priority {priority} is above {MAX_PRIORITY}", 108)
    if sync > MAX_UNIVERSE:
        raise _fail(f"sync address {sync} out of range", 109)
    if not MIN_UNIVERSE <= universe <= MAX_UNIVERSE:
        raise _fail(f"universe {universe} out of range {MIN_UNIVERSE}-{MAX_UNIVERSE}", 113)
    dmp_fl, dmp_vector, address_type, first, increment, count, start = _DMP.unpack_from(raw, 115)
    _expect_pdu(dmp_fl, size - 115, 115, "DMP layer")
    if (dmp_vector, address_type, first, increment) != (VECTOR_DMP_SET_PROPERTY, 0xA1, 0, 1):
        raise _fail("bad DMP vector, address type, first address or increment", 117)
    if count != size - 125:
        raise _fail(f"property value count {count} does not match datagram ({size - 125})", 123)
    return SacnDataPacket(
        cid=cid,
        source_name=_source_name(name),
        universe=universe,
        slots=raw[DATA_HEADER_SIZE:],
        sequence=sequence,
        priority=priority,
        sync_address=sync,
        preview=bool(options & DataOptions.PREVIEW),
        terminated=bool(options & DataOptions.TERMINATED),
        force_sync=bool(options & DataOptions.FORCE_SYNC),
        start_code=start,
    )


def _parse_discovery(raw: bytes, cid: bytes) -> SacnDiscoveryPacket:
    size = len(raw)
    if size < DISCOVERY_HEADER_SIZE or (size - DISCOVERY_HEADER_SIZE) % 2:
        raise _fail(f"discovery packet of {size} bytes is not 120 + 2n", 0)
    count = (size - DISCOVERY_HEADER_SIZE) // 2
    if count > MAX_UNIVERSES_PER_PAGE:
        raise _fail(f"discovery page lists {count} universes (max 512)", 120)
    framing_fl, _, name = _DISCOVERY_FRAMING.unpack_from(raw, 38)
    _expect_pdu(framing_fl, size - 38, 38, "framing layer")
    layer_fl, vector, page, last_page = _DISCOVERY_LAYER.unpack_from(raw, 112)
    _expect_pdu(layer_fl, size - 112, 112, "discovery layer")
    if vector != VECTOR_UNIVERSE_DISCOVERY_UNIVERSE_LIST:
        raise _fail(f"unknown discovery layer vector {vector:#x}", 114)
    if page > last_page:
        raise _fail(f"page {page} is after last page {last_page}", 118)
    universes = struct.unpack_from(f">{count}H", raw, DISCOVERY_HEADER_SIZE)
    for index, universe in enumerate(universes):
        if not MIN_UNIVERSE <= universe <= MAX_UNIVERSE:
            raise _fail(f"listed universe {universe} out of range", 120 + 2 * index)
    return SacnDiscoveryPacket(cid, _source_name(name), universes, page, last_page)


def multicast_group(universe: int) -> str:
    """The IPv4 multicast group of a universe (or of DISCOVERY_UNIVERSE)."""
    if universe != DISCOVERY_UNIVERSE:
        _check_universe(universe)
    return f"239.255.{universe >> 8}.{universe & 0xFF}"


def sequence_is_newer(last: int | None, new: int) -> bool:
    """E1.31 sequence check: False (discard) if new - last, as signed 8-bit, is in (-20, 0]."""
    if last is None:
        return True
    diff = (new - last + 128) % 256 - 128
    return not -SEQUENCE_DISCARD_WINDOW < diff <= 0
