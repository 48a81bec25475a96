"""sACN packets: the 638-byte golden layout, the sacn package as oracle, round trips, garbage."""

from __future__ import annotations

import ast
import contextlib
import pathlib
import struct
from collections.abc import Callable

import numpy as np
import pytest
import sacn
from hypothesis import given, settings
from hypothesis import strategies as st
from sacn.messages.data_packet import calculate_multicast_addr
from sacn.messages.sync_packet import SyncPacket

import cuebridge.protocols
from cuebridge.protocols.sacn import (
    DISCOVERY_UNIVERSE,
    SACN_PORT,
    DataOptions,
    DataPacketTemplate,
    SacnDataPacket,
    SacnDecodeError,
    SacnDiscoveryPacket,
    SacnSyncPacket,
    build_data_packet,
    build_discovery_packet,
    build_sync_packet,
    multicast_group,
    parse_packet,
    sequence_is_newer,
)

CID = bytes(range(0xA0, 0xB0))
SLOTS = bytes(i * 7 & 0xFF for i in range(512))
FAST = settings(max_examples=60, deadline=None)


def _golden() -> bytes:
    return build_data_packet(CID, "cuebridge", 1, SLOTS, 7)


def test_data_packet_layout_byte_for_byte() -> None:
    packet = _golden()
    assert len(packet) == 638
    expected_fields = {
        (0, 2): "00 10",
        (2, 4): "00 00",
        (4, 16): "41 53 43 2d 45 31 2e 31 37 00 00 00",
        (16, 18): "72 6e",
        (18, 22): "00 00 00 04",
        (38, 40): "72 58",
        (40, 44): "00 00 00 02",
        (108, 109): "64",
        (109, 111): "00 00",
        (111, 113): "07 00",
        (113, 115): "00 01",
        (115, 117): "72 0b",
        (117, 119): "02 a1",
        (119, 125): "00 00 00 01 02 01",
        (125, 126): "00",
    }
    for (start, end), hex_bytes in expected_fields.items():
        assert packet[start:end] == bytes.fromhex(hex_bytes), (start, end)
    assert packet[22:38] == CID
    assert packet[44:108] == b"cuebridge".ljust(64, b"\x00")
    assert packet[126:] == SLOTS


def test_data_packet_matches_sacn() -> None:
    oracle = sacn.DataPacket(tuple(CID), "cuebridge", 1, tuple(SLOTS), sequence=7)
    assert _golden() == bytes(oracle.getBytes())


@FAST
@given(
    universe=st.integers(1, 63999),
    priority=st.integers(0, 200),
    sequence=st.integers(0, 255),
    sync=st.integers(0, 63999),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    start_code=st.sampled_from([0x00, 0xDD]),
    name=st.text(max_size=15).filter(lambda s: "\x00" not in s),
    slots=st.binary(min_size=512, max_size=512),
)
def test_data_packet_matches_sacn_for_any_fields(
    universe: int,
    priority: int,
    sequence: int,
    sync: int,
    flags: tuple[bool, bool, bool],
    start_code: int,
    name: str,
    slots: bytes,
) -> None:
    preview, terminated, force_sync = flags
    ours = build_data_packet(
        CID,
        name,
        universe,
        slots,
        sequence,
        priority,
        sync,
        preview,
        terminated,
        force_sync,
        start_code,
    )
    oracle = sacn.DataPacket(
        tuple(CID),
        name,
        universe,
        tuple(slots),
        priority,
        sequence,
        terminated,
        preview,
        force_sync,
        sync,
        start_code,
    )
    assert ours == bytes(oracle.getBytes())
    parsed = sacn.DataPacket.make_data_packet(ours)
    assert (parsed.universe, parsed.priority, parsed.sequence) == (universe, priority, sequence)


def test_short_packet_is_not_padded_and_sacn_reads_it() -> None:
    packet = build_data_packet(CID, "short", 300, b"\x01\x02\x03", 1)
    assert len(packet) == 129
    assert packet[16:18] == struct.pack(">H", 0x7000 | 113)
    assert packet[123:125] == b"\x00\x04"
    oracle = sacn.DataPacket.make_data_packet(packet)
    assert oracle.dmxData[:4] == (1, 2, 3, 0)
    assert oracle.universe == 300


def test_sync_packet_matches_sacn() -> None:
    packet = build_sync_packet(CID, 63999, 200)
    assert len(packet) == 49
    assert packet[16:18] == b"\x70\x21"
    assert packet[38:40] == b"\x70\x0b"
    assert packet == bytes(SyncPacket(tuple(CID), 63999, 200).getBytes())
    parsed = SyncPacket.make_sync_packet(packet)
    assert (parsed.syncAddr, parsed.sequence) == (63999, 200)


@FAST
@given(
    st.lists(st.integers(1, 63999), max_size=512, unique=True),
    st.integers(0, 255),
    st.integers(0, 255),
)
def test_discovery_packet_matches_sacn(universes: list[int], page: int, last_page: int) -> None:
    page = min(page, last_page)
    ours = build_discovery_packet(CID, "cuebridge", universes, page, last_page)
    oracle = sacn.UniverseDiscoveryPacket(
        tuple(CID), "cuebridge", tuple(universes), page, last_page
    )
    assert ours == bytes(oracle.getBytes())
    assert len(ours) == 120 + 2 * len(universes)


def test_template_renders_like_the_builder_and_returns_independent_bytes() -> None:
    template = DataPacketTemplate(CID, "cuebridge", 9, slot_count=4, priority=150)
    first = template.render(255, b"\x01\x02\x03\x04")
    second = template.render(256, bytearray(4), DataOptions.TERMINATED | DataOptions.PREVIEW)
    assert first == build_data_packet(CID, "cuebridge", 9, b"\x01\x02\x03\x04", 255, 150)
    assert second == build_data_packet(
        CID, "cuebridge", 9, bytes(4), 0, 150, preview=True, terminated=True
    )
    assert template.render(3, np.arange(4, dtype=np.uint8).data)[-4:] == b"\x00\x01\x02\x03"
    assert first[111] == 255  # earlier results are not patched later
    with pytest.raises(ValueError, match="expected 4 slot bytes, got 5"):
        template.render(0, bytes(5))
    with pytest.raises(ValueError, match="reserved bits"):
        template.render(0, bytes(4), 0x01)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: build_data_packet(CID, "x", 0, b"\x00", 0), "universe must be 1-63999"),
        (lambda: build_data_packet(CID, "x", 64214, b"\x00", 0), "universe must be 1-63999"),
        (lambda: build_data_packet(CID, "x", 1, b"", 0), "slot count must be 1-512"),
        (lambda: build_data_packet(CID, "x", 1, bytes(513), 0), "slot count must be 1-512"),
        (lambda: build_data_packet(CID, "x", 1, b"\x00", 0, priority=201), "priority"),
        (lambda: build_data_packet(CID, "x", 1, b"\x00", 0, sync_address=64000), "sync"),
        (lambda: build_data_packet(CID, "é" * 32, 1, b"\x00", 0), "at most 63 UTF-8 bytes"),
        (lambda: build_data_packet(CID, "a\x00", 1, b"\x00", 0), "NUL"),
        (lambda: build_data_packet(CID[:15], "x", 1, b"\x00", 0), "16 bytes"),
        (lambda: build_sync_packet(CID, 0, 0), "sync address must be 1-63999"),
        (lambda: build_discovery_packet(CID, "x", [1], 2, 1), "page must be 0-1"),
        (lambda: build_discovery_packet(CID, "x", list(range(1, 514)), 0, 0), "at most 512"),
        (lambda: build_discovery_packet(CID, "x", [64214], 0, 0), "universe must be"),
    ],
)
def test_builder_validation(call: Callable[[], bytes], text: str) -> None:
    with pytest.raises(ValueError, match=text):
        call()


_CIDS = st.binary(min_size=16, max_size=16)
_NAMES = st.text(max_size=15).filter(lambda s: "\x00" not in s)
_DATA = st.builds(
    SacnDataPacket,
    cid=_CIDS,
    source_name=_NAMES,
    universe=st.integers(1, 63999),
    slots=st.binary(min_size=1, max_size=512),
    sequence=st.integers(0, 255),
    priority=st.integers(0, 200),
    sync_address=st.integers(0, 63999),
    preview=st.booleans(),
    terminated=st.booleans(),
    force_sync=st.booleans(),
    start_code=st.integers(0, 255),
)
_SYNC = st.builds(SacnSyncPacket, _CIDS, st.integers(1, 63999), st.integers(0, 255))
_DISCOVERY = st.builds(
    lambda cid, name, universes, pages: SacnDiscoveryPacket(
        cid, name, tuple(sorted(universes)), min(pages), max(pages)
    ),
    _CIDS,
    _NAMES,
    st.lists(st.integers(1, 63999), max_size=40, unique=True),
    st.tuples(st.integers(0, 255), st.integers(0, 255)),
)


def _build(packet: SacnDataPacket | SacnSyncPacket | SacnDiscoveryPacket) -> bytes:
    if isinstance(packet, SacnSyncPacket):
        return build_sync_packet(packet.cid, packet.sync_address, packet.sequence)
    if isinstance(packet, SacnDiscoveryPacket):
        return build_discovery_packet(
            packet.cid, packet.source_name, packet.universes, packet.page, packet.last_page
        )
    return build_data_packet(
        packet.cid,
        packet.source_name,
        packet.universe,
        packet.slots,
        packet.sequence,
        packet.priority,
        packet.sync_address,
        packet.preview,
        packet.terminated,
        packet.force_sync,
        packet.start_code,
    )


@FAST
@given(st.one_of(_DATA, _SYNC, _DISCOVERY))
def test_round_trip(packet: SacnDataPacket | SacnSyncPacket | SacnDiscoveryPacket) -> None:
    assert parse_packet(_build(packet)) == packet


def _patch(packet: bytes, offset: int, data: bytes) -> bytes:
    return packet[:offset] + data + packet[offset + len(data) :]


GOLDEN = build_data_packet(CID, "cuebridge", 1, SLOTS, 7)
SYNC = build_sync_packet(CID, 5, 1)
DISCOVERY = build_discovery_packet(CID, "cuebridge", [1, 2, 3], 0, 0)


@pytest.mark.parametrize(
    ("packet", "text"),
    [
        (GOLDEN[:48], "shorter than any E1.31 packet"),
        (_patch(GOLDEN, 1, b"\x11"), "bad preamble or ACN packet identifier"),
        (_patch(GOLDEN, 4, b"ASC-E1.18"), "bad preamble or ACN packet identifier"),
        (_patch(GOLDEN, 16, b"\x62\x6e"), "root layer flags are 0x6"),
        (GOLDEN[:-1], "root layer length 622 does not match datagram \\(621\\)"),
        (GOLDEN + b"\x00", "root layer length"),
        (_patch(GOLDEN, 18, b"\x00\x00\x00\x05"), "unknown root vector 0x5"),
        (_patch(GOLDEN, 40, b"\x00\x00\x00\x01"), "unknown data framing vector"),
        (_patch(GOLDEN, 38, b"\x72\x57"), "framing layer length 599"),
        (_patch(GOLDEN, 108, b"\xc9"), "priority 201 is above 200"),
        (_patch(GOLDEN, 109, b"\xfa\x00"), "sync address 64000 out of range"),
        (_patch(GOLDEN, 113, b"\x00\x00"), "universe 0 out of range"),
        (_patch(GOLDEN, 113, b"\xfa\x00"), "universe 64000 out of range"),
        (_patch(GOLDEN, 113, struct.pack(">H", DISCOVERY_UNIVERSE)), "universe 64214 out"),
        (_patch(GOLDEN, 115, b"\x72\x0a"), "DMP layer length 522"),
        (_patch(GOLDEN, 117, b"\x01"), "bad DMP vector"),
        (_patch(GOLDEN, 118, b"\xa2"), "bad DMP vector, address type"),
        (_patch(GOLDEN, 121, b"\x00\x02"), "increment"),
        (_patch(GOLDEN, 123, b"\x02\x00"), "property value count 512 does not match"),
        (_patch(GOLDEN[:125], 16, b"\x70\x6d"), "data packet of 125 bytes is shorter"),
        (_patch(SYNC, 45, b"\x00\x00"), "sync address 0 out of range"),
        (_patch(SYNC + b"\x00\x00", 16, b"\x70\x23"), "framing layer length 11"),
        (_patch(SYNC, 40, b"\x00\x00\x00\x03"), "unknown extended framing vector 0x3"),
        (_patch(DISCOVERY, 114, b"\x00\x00\x00\x02"), "unknown discovery layer vector"),
        (_patch(DISCOVERY, 118, b"\x02\x01"), "page 2 is after last page 1"),
        (_patch(DISCOVERY, 122, b"\xfa\xd6"), "listed universe 64214 out of range"),
        (_patch(DISCOVERY + b"\x00", 16, b"\x70\x6f"), "not 120 \\+ 2n"),
        (_patch(DISCOVERY, 112, b"\x70\x0d"), "discovery layer length 13"),
    ],
)
def test_parse_errors(packet: bytes, text: str) -> None:
    with pytest.raises(SacnDecodeError, match=text):
        parse_packet(packet)


def test_parse_golden_and_unterminated_name() -> None:
    parsed = parse_packet(GOLDEN)
    assert isinstance(parsed, SacnDataPacket)
    assert (parsed.source_name, parsed.universe, parsed.sequence) == ("cuebridge", 1, 7)
    full_name = _patch(GOLDEN, 44, b"n" * 63 + b"\xff")
    parsed_name = parse_packet(full_name)
    assert isinstance(parsed_name, SacnDataPacket)
    assert parsed_name.source_name == "n" * 63 + "\ufffd"


def _garbage() -> st.SearchStrategy[bytes]:
    valid = st.one_of(_DATA, _SYNC, _DISCOVERY).map(_build)
    mutated = st.tuples(valid, st.integers(0, 700), st.integers(0, 255)).map(
        lambda t: _patch(t[0], t[1] % len(t[0]), bytes([t[2]]))
    )
    truncated = st.tuples(valid, st.integers(0, 700)).map(lambda t: t[0][: t[1]])
    return st.one_of(st.binary(max_size=160), mutated, truncated)


@settings(max_examples=300, deadline=None)
@given(_garbage())
def test_garbage_raises_only_sacn_decode_error(data: bytes) -> None:
    with contextlib.suppress(SacnDecodeError):
        parse_packet(data)


@pytest.mark.parametrize(
    ("universe", "group"),
    [
        (1, "239.255.0.1"),
        (258, "239.255.1.2"),
        (300, "239.255.1.44"),
        (63999, "239.255.249.255"),
        (DISCOVERY_UNIVERSE, "239.255.250.214"),
    ],
)
def test_multicast_group(universe: int, group: str) -> None:
    assert multicast_group(universe) == group
    assert calculate_multicast_addr(universe) == group


@pytest.mark.parametrize("universe", [0, 64000, 65535])
def test_multicast_group_rejects_reserved_universes(universe: int) -> None:
    with pytest.raises(ValueError, match="universe"):
        multicast_group(universe)


def test_sequence_window_exhaustively() -> None:
    for last in range(256):
        for new in range(256):
            forward = (new - last) % 256
            signed = forward - 256 if forward >= 128 else forward
            assert sequence_is_newer(last, new) is not (-20 < signed <= 0), (last, new)
    assert sequence_is_newer(None, 0)
    assert sequence_is_newer(250, 5)
    assert not sequence_is_newer(5, 250)
    assert not sequence_is_newer(0, 237)
    assert sequence_is_newer(0, 236)
    assert not sequence_is_newer(9, 9)


def test_constants() -> None:
    assert (SACN_PORT, DISCOVERY_UNIVERSE) == (5568, 64214)


_FORBIDDEN = {"asyncio", "socket", "selectors", "threading", "time", "sacn", "pythonosc", "mido"}


@pytest.mark.parametrize(
    "path", sorted(pathlib.Path(cuebridge.protocols.__file__).parent.glob("*.py")), ids=str
)
def test_protocol_modules_are_pure(path: pathlib.Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not imported & _FORBIDDEN
