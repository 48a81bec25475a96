"""MIDI, MSC and MTC input: the mappings, MSC spec vectors, and end to end over UDP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from osc_harness import make_show, serve, wait_for

from cuebridge.control.midi_input import MidiMapper
from cuebridge.control.midi_service import MidiControlOptions, midi_control
from cuebridge.control.msc_input import MscMapper
from cuebridge.control.timecode_output import TimecodeOutputOptions, timecode_output
from cuebridge.core.commands import (
    Go,
    GoCue,
    LoadCue,
    Panic,
    Reset,
    Resume,
    StandbyNext,
    StartCue,
    Stop,
)
from cuebridge.core.control_settings import (
    ConnectionValue,
    ControlSettings,
    MidiTrigger,
    TimecodeSettings,
)
from cuebridge.core.model import Cue
from cuebridge.drivers.midi_transport import MidiReceiver
from cuebridge.protocols.mtc import (
    FrameRate,
    MtcEvent,
    MtcReader,
    MtcState,
    Timecode,
    full_frame,
    quarter_frames,
)

TRIGGERS = (
    MidiTrigger(kind="note", number=60, channel=1, command="go"),
    MidiTrigger(kind="cc", number=20, value=127, command="stop"),
    MidiTrigger(kind="cc", number=21, command="next"),
    MidiTrigger(kind="program", number=5, command="cue", cue="3"),
    MidiTrigger(kind="note", number=61, command="start", cue="2"),
)


def test_notes_ccs_and_program_changes_map_to_commands() -> None:
    mapper = MidiMapper(TRIGGERS)
    assert isinstance(mapper.command(bytes([0x90, 60, 100]), "midi:x"), Go)
    assert mapper.command(bytes([0x91, 60, 100]), "midi:x") is None  # channel 2
    assert mapper.command(bytes([0x90, 60, 0]), "midi:x") is None  # velocity 0 = release
    assert mapper.command(bytes([0x80, 60, 64]), "midi:x") is None  # note off
    assert isinstance(mapper.command(bytes([0xB5, 20, 127]), "midi:x"), Stop)  # any channel
    assert mapper.command(bytes([0xB0, 20, 126]), "midi:x") is None  # not the mapped value
    assert isinstance(mapper.command(bytes([0xB0, 21, 1]), "midi:x"), StandbyNext)
    assert mapper.command(bytes([0xB0, 21, 0]), "midi:x") is None  # CC release
    cue = mapper.command(bytes([0xC3, 5]), "midi:pc")
    assert cue == GoCue(number="3", source="midi:pc", role="operator")
    start = mapper.command(bytes([0x9F, 61, 1]), "midi:n")
    assert isinstance(start, StartCue)
    assert start.number == "2"
    for junk in (b"", b"\x45", bytes([0xF8]), bytes([0x90, 60]), bytes([0xC0, 5, 1])):
        assert mapper.command(junk, "midi:x") is None


# MSC 1.1 (RP-002) vectors: F0 7F <device_id> 02 <command_format> <command> <data> F7;
# 01 = lighting; cue numbers are ASCII with 00 between cue, list and path.
MSC_VECTORS: list[tuple[str, Any]] = [
    ("F0 7F 01 02 01 01 F7", Go(source="msc", role="operator")),
    ("F0 7F 01 02 01 01 35 F7", GoCue(number="5", source="msc", role="operator")),
    ("F0 7F 01 02 01 01 31 2E 35 00 32 F7", GoCue(number="1.5", source="msc", role="operator")),
    ("F0 7F 01 02 01 02 F7", Stop(source="msc", role="operator")),
    ("F0 7F 01 02 01 02 33 F7", Stop(number="3", source="msc", role="operator")),
    ("F0 7F 01 02 01 03 F7", Resume(source="msc", role="operator")),
    ("F0 7F 01 02 01 05 31 30 F7", LoadCue(number="10", source="msc", role="operator")),
    ("F0 7F 01 02 01 0A F7", Reset(source="msc", role="operator")),
    ("F0 7F 01 02 01 08 F7", Panic(source="msc", role="operator")),
    ("F0 7F 7F 02 7F 01 F7", Go(source="msc", role="operator")),  # all-call, all types
    ("F0 7F 70 02 10 01 F7", Go(source="msc", role="operator")),  # our group
    ("F0 7F 01 02 01 04 61 00 00 00 00 35 F7", GoCue(number="5", source="msc", role="operator")),
]


@pytest.mark.parametrize(("hex_bytes", "expected"), MSC_VECTORS)
def test_msc_spec_vectors(hex_bytes: str, expected: Any) -> None:
    result = MscMapper(1, (0x70,)).map(bytes.fromhex(hex_bytes), "msc")
    assert result.command == expected


@pytest.mark.parametrize(
    ("hex_bytes", "reason"),
    [
        ("F0 7F 02 02 01 01 F7", "other-device"),
        ("F0 7F 71 02 01 01 F7", "other-device"),
        ("F0 7F 01 02 01 05 F7", "malformed"),  # LOAD needs a cue
        ("F0 7F 01 02 01 01 41 F7", "malformed"),  # cue numbers are digits and dots
        ("F0 7F 01 02 01 06 01 00 7F 00 F7", "unsupported"),  # SET
        ("F0 7F 01 01 01 01 00 00 00 F7", "not-msc"),  # MTC full frame
        ("F0 43 10 4C F7", "not-msc"),
    ],
)
def test_msc_that_is_not_for_us_or_broken_is_ignored(hex_bytes: str, reason: str) -> None:
    assert MscMapper(1, (0x70,)).map(bytes.fromhex(hex_bytes), "msc").ignored == reason


class Sender(asyncio.DatagramProtocol):
    pass


async def udp_sender() -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Sender, local_addr=("127.0.0.1", 0))
    return transport


async def test_midi_and_msc_over_udp_reach_the_engine() -> None:
    udp: dict[str, ConnectionValue] = {"transport": "udp", "host": "127.0.0.1", "port": 0}
    control = ControlSettings(midi_input=udp, midi_map=TRIGGERS, msc_device_id=1, msc_input=udp)
    ready: asyncio.Future[list[MidiReceiver]] = asyncio.get_running_loop().create_future()
    options = MidiControlOptions(on_ready=ready.set_result)
    async with serve(make_show(control=control), extra=(midi_control(options),)) as run:
        receivers = await asyncio.wait_for(ready, 5)
        assert len(receivers) == 1  # MIDI and MSC share the one input
        port = receivers[0].port
        sender = await udp_sender()
        try:
            sender.sendto(bytes([0x90, 60, 100]), ("127.0.0.1", port))
            await wait_for(lambda: len(run.commands) == 1)
            sender.sendto(bytes.fromhex("F0 7F 01 02 01 01 33 F7"), ("127.0.0.1", port))
            sender.sendto(bytes.fromhex("F0 7F 09 02 01 01 F7"), ("127.0.0.1", port))
            sender.sendto(bytes([0x90, 60, 0, 0xC0, 5]), ("127.0.0.1", port))
            await wait_for(lambda: len(run.commands) == 3)
            assert [type(c).__name__ for c in run.commands] == ["Go", "GoCue", "GoCue"]
            assert run.commands[0].source == "midi:note60/ch1"
            assert run.commands[1].source == "msc:1"
            assert run.commands[2].source == "midi:program5"
        finally:
            sender.close()


async def test_mtc_over_udp_fires_the_cue_whose_timecode_it_passes() -> None:
    rate = FrameRate.FPS_25
    cues = (
        Cue(number="1", name="Preshow"),
        Cue(number="2", name="Hit", timecode=Timecode(1, 0, 1, 0, rate).to_seconds()),
        Cue(number="3", name="Later", timecode=Timecode(1, 0, 30, 0, rate).to_seconds()),
    )
    udp: dict[str, ConnectionValue] = {"transport": "udp", "host": "127.0.0.1", "port": 0}
    control = ControlSettings(timecode=TimecodeSettings(fps="25", input=udp))
    ready: asyncio.Future[list[MidiReceiver]] = asyncio.get_running_loop().create_future()
    options = MidiControlOptions(on_ready=ready.set_result)
    async with serve(make_show(control=control, cues=cues), extra=(midi_control(options),)) as r:
        port = (await asyncio.wait_for(ready, 5))[0].port
        sender = await udp_sender()
        try:
            start = Timecode(1, 0, 0, 0, rate)
            sender.sendto(full_frame(start), ("127.0.0.1", port))
            # two seconds of quarter frames (each 8-piece cycle carries every second frame)
            for cycle in range(25):
                tc = start.add_frames(2 * cycle)
                sender.sendto(b"".join(quarter_frames(tc)), ("127.0.0.1", port))
                await asyncio.sleep(0)
            await wait_for(lambda: len(r.commands) == 1)
            assert r.commands[0] == GoCue(number="2", source="mtc", role="operator", guarded=False)
            await asyncio.sleep(0.05)
            assert len(r.commands) == 1
        finally:
            sender.close()


class Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.reader = MtcReader()
        self.events: list[MtcEvent] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.events += self.reader.feed(data)


async def test_mtc_output_rolls_from_the_start_time_at_the_first_go_and_parks_on_reset() -> None:
    loop = asyncio.get_running_loop()
    transport, collector = await loop.create_datagram_endpoint(
        Collector, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    rate = FrameRate.FPS_25
    start = Timecode(1, 0, 0, 0, rate)
    settings = TimecodeSettings(
        fps="25",
        output={"transport": "udp", "host": "127.0.0.1", "port": port},
        output_start=start.to_seconds(),
    )
    extra = (timecode_output(TimecodeOutputOptions()),)
    try:
        async with serve(make_show(control=ControlSettings(timecode=settings)), extra=extra) as r:
            await wait_for(lambda: len(collector.events) == 1)
            assert collector.events[0] == MtcEvent(MtcState.LOCATED, start)
            r.daemon.loop.submit(Go(source="test"))
            await wait_for(lambda: collector.reader.state is MtcState.RUNNING)
            await wait_for(
                lambda: collector.events[-1].timecode.to_frames() >= start.to_frames() + 5
            )
            r.daemon.loop.submit(Reset(source="test"))
            await wait_for(lambda: collector.events[-1].state is MtcState.LOCATED)
            assert collector.events[-1].timecode == start
    finally:
        transport.close()
