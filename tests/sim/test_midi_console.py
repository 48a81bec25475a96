"""The simulated MIDI console: MSC device-ID filtering, voice messages, MTC, garbage, faults."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.drivers.midi_transport import open_midi_sender
from cuebridge.drivers.mtc_output import MtcOutput
from cuebridge.protocols.msc import CommandFormat, MscCommand, MscMessage, encode_msc
from cuebridge.protocols.mtc import FrameRate, Timecode
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.sim.base import JsonDict, SimulatedDevice
from cuebridge.sim.midi_console import MidiConsoleSim
from cuebridge.sim.midi_console_state import describe_message

REPO = Path(__file__).resolve().parents[2]
H = bytes.fromhex
LIGHTING = CommandFormat.LIGHTING


def go(device: int, cue: str, cue_list: str | None = None, fmt: int = LIGHTING) -> bytes:
    return encode_msc(MscMessage(device, fmt, MscCommand.GO, cue=cue, cue_list=cue_list))


class Link:
    """A plain UDP socket aimed at the simulator."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.address = ("127.0.0.1", port)

    def send(self, *packets: bytes) -> None:
        for packet in packets:
            self.sock.sendto(packet, self.address)


@pytest.fixture
async def console() -> AsyncIterator[tuple[MidiConsoleSim, Link]]:
    sim = MidiConsoleSim("desk", device_id=3, group_ids=(0x71,), command_format="lighting", seed=1)
    await sim.start()
    link = Link(sim.port)
    yield sim, link
    link.sock.close()
    await sim.aclose()
    await sim.aclose()


async def handled(sim: MidiConsoleSim, count: int) -> JsonDict:
    """Wait until `count` inputs were acted on, ignored or rejected."""

    def done(_: JsonDict) -> bool:
        stats = sim.stats()
        total: int = stats["messages"] + stats["malformed"] + sum(stats["faults"].values())
        return total >= count

    return await sim.wait_until(done)


async def test_msc_reaches_its_device_all_call_and_its_groups_only(
    console: tuple[MidiConsoleSim, Link],
) -> None:
    sim, link = console
    link.send(
        go(3, "5", "1"),  # its own ID
        go(4, "6", "1"),  # another device
        go(0x7F, "7", "2"),  # all-call
        go(0x71, "8", "3"),  # its group
        go(0x72, "9", "4"),  # another group
        go(3, "10", "5", fmt=CommandFormat.SOUND),  # right device, wrong command format
        go(3, "11", "6", fmt=CommandFormat.ALL_TYPES),  # all types
    )
    state = await handled(sim, 7)
    assert state["msc"]["cues"] == {"1": "5", "2": "7", "3": "8", "6": "11"}
    assert state["msc"]["last_command"] == "GO cue 11 list 6"
    assert sim.stats()["ignored"] == {
        "MSC for another device": 2,
        "MSC in another command format": 1,
    }


async def test_msc_commands_change_the_console_state(console: tuple[MidiConsoleSim, Link]) -> None:
    sim, link = console

    def msc(command: MscCommand, **fields: object) -> bytes:
        return encode_msc(MscMessage(3, LIGHTING, command, **fields))  # type: ignore[arg-type]

    link.send(
        go(3, "1"),
        msc(MscCommand.STOP, cue="1"),
        msc(MscCommand.LOAD, cue="4", cue_list="2"),
        msc(MscCommand.SET, control=510, value=75),
        msc(MscCommand.FIRE, macro=17),
        msc(MscCommand.ALL_OFF),
    )
    state = await handled(sim, 6)
    assert state["msc"] == {
        "device_id": 3,
        "last_command": "ALL_OFF",
        "cues": {"default": "1"},
        "loaded": {"2": "4"},
        "stopped": ["default"],
        "levels": {"510": 75},
        "macros": [17],
        "all_off": True,
    }
    link.send(msc(MscCommand.RESTORE), msc(MscCommand.RESET))
    state = await handled(sim, 8)
    assert (state["msc"]["all_off"], state["msc"]["cues"], state["msc"]["stopped"]) == (
        False,
        {},
        [],
    )
    assert "MSC FIRE macro 17" in state["last"]


async def test_voice_messages_and_running_status(console: tuple[MidiConsoleSim, Link]) -> None:
    sim, link = console
    link.send(H("90 3c 7f 3e 40"), H("b0 07 64 0a 20"), H("c2 05"), H("e0 00 00"), H("80 3c 00"))
    state = await handled(sim, 7)
    assert state["notes"] == {"1": {"62": 64}}
    assert state["cc"] == {"1": {"7": 100, "10": 32}}
    assert state["program"] == {"3": 5}
    assert state["pitch_bend"] == {"1": -8192}
    assert state["last"][:2] == [
        "note_on ch 1 note 60 velocity 127",
        "note_on ch 1 note 62 velocity 64",
    ]
    link.send(H("90 3e 00"))  # note on with velocity 0 ends the note
    state = await handled(sim, 8)
    assert state["notes"] == {"1": {}}


async def test_malformed_input_is_ignored_counted_and_described(
    console: tuple[MidiConsoleSim, Link],
) -> None:
    sim, link = console
    link.send(
        H("3c 7f"),  # data without status
        H("f0 7f 03 02 01 00 f7"),  # MSC with the reserved 00 command
        H("f0 7f 03 02 01 01 31 32 33"),  # sysex without its F7
        H("f0 7f 7f 01 01 7f 00 00 00 f7"),  # full frame with hours 31
        H("f0 43 10 3e f7"),  # another maker's sysex: not an error
        go(3, "2"),
    )
    state = await sim.wait_until(lambda s: s["msc"]["cues"] == {"default": "2"})
    assert state["msc"]["last_command"] == "GO cue 2"
    stats = sim.stats()
    assert stats["malformed"] >= 4
    reasons = " | ".join(stats["malformed_recent"])
    assert "data byte 3C without a status" in reasons
    assert "bad MSC" in reasons
    assert "sysex without F7 at the end of the packet" in reasons
    assert "bad timecode: f0 7f 7f 01 01 7f 00 00 00 f7" in reasons
    assert stats["ignored"]["sysex (not MSC)"] == 1


async def test_mtc_reader_follows_the_generator(console: tuple[MidiConsoleSim, Link]) -> None:
    sim, _ = console
    sender = open_midi_sender(sim.connection)
    await sender.start()
    mtc = MtcOutput(sender, MonotonicClock(), FrameRate.FPS_25)
    try:
        mtc.locate(Timecode(1, 0, 0, 0, FrameRate.FPS_25))
        state = await sim.wait_until(lambda s: s["timecode"] is not None)
        assert (state["timecode"], state["mtc"]) == ("01:00:00:00", "located")
        mtc.start()
        state = await sim.wait_until(
            lambda s: s["mtc"] == "running" and s["timecode"] >= "01:00:00:04"
        )
        assert state["timecode"].startswith("01:00:00:")
    finally:
        await mtc.aclose()
        await sender.aclose()


async def test_faults_offline_drop_and_delay(console: tuple[MidiConsoleSim, Link]) -> None:
    sim, link = console
    sim.faults.offline = True
    link.send(go(3, "1"))
    await sim.wait_until(lambda _: sim.offline_ignored == 1)
    sim.faults.offline = False
    sim.faults.drop_rate = 1.0
    link.send(go(3, "2"))
    await sim.wait_until(lambda _: sim.dropped == 1)
    assert sim.state()["msc"]["cues"] == {}
    sim.faults.drop_rate = 0.0
    sim.faults.delay = 0.2
    loop = asyncio.get_running_loop()
    sent_at = loop.time()
    link.send(go(3, "3"))
    state = await sim.wait_until(lambda s: s["msc"]["cues"] != {})
    assert loop.time() - sent_at >= 0.19
    assert state["msc"]["cues"] == {"default": "3"}
    assert sim.stats()["faults"] == {"dropped": 1, "offline": 1}
    assert sim.stats()["ignored_total"] == 0


async def test_history_is_bounded_and_state_has_the_documented_shape() -> None:
    sim = MidiConsoleSim("small", history=3)
    device: SimulatedDevice = sim  # mypy checks the protocol
    assert device.faults is sim.faults
    assert (sim.kind, sim.port) == ("midi", 0)
    await sim.start()
    try:
        assert sim.port > 0
        assert sim.connection == {"transport": "udp", "host": "127.0.0.1", "port": sim.port}
        link = Link(sim.port)
        link.send(*(bytes((0xC0, program)) for program in range(5)))
        state = await handled(sim, 5)
        link.sock.close()
    finally:
        await sim.aclose()
    assert state["last"] == [f"program_change ch 1 program {n}" for n in (2, 3, 4)]
    assert set(state) >= {"kind", "last", "msc", "program", "cc", "timecode"}
    assert state["kind"] == "midi"
    assert state["timecode"] is None


def test_ids_and_format_come_from_the_profile() -> None:
    catalog = ProfileCatalog.load([REPO / "profiles"])
    eos = MidiConsoleSim("eos", profile=catalog.get("etc-eos-msc"))
    assert (eos.console.device_id, eos.console.command_format) == (1, 1)
    generic = MidiConsoleSim("any", profile=catalog.get("generic-midi"))
    assert (generic.console.device_id, generic.console.command_format) == (1, None)
    grouped = MidiConsoleSim("grp", device_id=0x75)
    assert (grouped.console.device_id, grouped.console.group_ids) == (1, (0x75,))
    with pytest.raises(ValueError, match="groups"):
        MidiConsoleSim("bad", group_ids=(0x10,))


def test_messages_read_as_text() -> None:
    assert describe_message(H("99 3c 00")) == "note_on ch 10 note 60 velocity 0"
    assert describe_message(H("e1 7f 7f")) == "pitch_bend ch 2 value 8191"
    assert describe_message(H("d0 40")) == "channel_pressure ch 1 value 64"
    assert describe_message(H("f1 23")) == "mtc quarter_frame piece 2 value 3"
    assert describe_message(H("f8")) == "system f8"
    assert describe_message(b"\xf0" + bytes(40) + b"\xf7").endswith("...")


async def test_listeners_hear_what_was_taken_in_and_what_was_ignored(
    console: tuple[MidiConsoleSim, Link],
) -> None:
    sim, link = console
    heard: list[str] = []
    sim.add_listener(lambda item: heard.append(str(item)))
    link.send(go(3, "1"), go(9, "2"), H("f1 00"), H("c0 01"), H("3c"))
    await handled(sim, 5)
    assert heard == [
        "MSC GO cue 1 (device 3, format 1)",
        "ignored MSC GO cue 2 (device 9, format 1) from udp: MSC for another device: ",
        "program_change ch 1 program 1",
        "ignored input from udp: malformed: data byte 3C without a status",
    ]
