"""MIDI transports: UDP over loopback, the in-process bus, rtmidi errors, ipMIDI in a netns."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mido
import mido.ports
import pytest

from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import midi_connection
from cuebridge.drivers.midi_rtmidi import RtMidiSender
from cuebridge.drivers.midi_transport import (
    MidiBus,
    MidiReceiver,
    open_midi_receiver,
    open_midi_sender,
)
from cuebridge.drivers.midi_udp import UdpMidiSender, pack_datagrams
from cuebridge.errors import DeviceError

H = bytes.fromhex
GO = H("f0 7f 7f 02 01 01 31 00 31 f7")


class Inbox:
    """Collects received messages and dropped-input reasons."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.problems: list[str] = []

    def __call__(self, message: bytes) -> None:
        self.queue.put_nowait(message)

    async def take(self, count: int, within: float = 2.0) -> list[bytes]:
        async with asyncio.timeout(within):
            return [await self.queue.get() for _ in range(count)]


@pytest.fixture
async def udp_inbox() -> AsyncIterator[tuple[Inbox, MidiReceiver]]:
    inbox = Inbox()
    receiver = await open_midi_receiver(
        {"transport": "udp", "host": "127.0.0.1", "port": 0},
        inbox,
        on_malformed=inbox.problems.append,
    )
    yield inbox, receiver
    await receiver.aclose()


async def test_udp_carries_whole_messages_in_one_datagram(
    udp_inbox: tuple[Inbox, MidiReceiver],
) -> None:
    inbox, receiver = udp_inbox
    assert receiver.port > 0
    sender = open_midi_sender({"transport": "udp", "host": "127.0.0.1", "port": receiver.port})
    assert isinstance(sender, UdpMidiSender)
    await sender.start()
    try:
        sender.send([H("90 3c 7f"), H("90 3e 7f"), GO])  # no running status on the wire
        assert await inbox.take(3) == [H("90 3c 7f"), H("90 3e 7f"), GO]
        assert sender.sent == 1
        assert sender.status is DeviceStatus.UNKNOWN  # UDP cannot confirm delivery
        assert receiver.messages == 3
    finally:
        await sender.aclose()
        await sender.aclose()  # idempotent
    sender.send([GO])
    assert sender.dropped == 1


async def test_udp_receiver_drops_and_reports_garbage(
    udp_inbox: tuple[Inbox, MidiReceiver],
) -> None:
    inbox, receiver = udp_inbox
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.sendto(H("3c c0 05 b0 07"), ("127.0.0.1", receiver.port))
        raw.sendto(H("c0 06"), ("127.0.0.1", receiver.port))
    assert await inbox.take(2) == [H("c0 05"), H("c0 06")]
    assert inbox.problems == ["data byte 3C without a status", "message cut short: b0 07"]
    assert receiver.malformed == 2


def test_datagrams_hold_whole_messages_up_to_the_limit() -> None:
    big = b"\xf0" + b"\x01" * 30 + b"\xf7"
    assert list(pack_datagrams([H("90 3c 7f")] * 3, limit=6)) == [
        H("90 3c 7f 90 3c 7f"),
        H("90 3c 7f"),
    ]
    assert list(pack_datagrams([H("c0 01"), big, H("c0 02")], limit=8)) == [
        H("c0 01"),
        big,
        H("c0 02"),
    ]
    assert list(pack_datagrams([])) == []


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_icmp_port_unreachable_is_reported_and_clears_once_sends_stop_bouncing() -> None:
    port = free_udp_port()
    link = midi_connection({"transport": "udp", "port": port})
    sender = UdpMidiSender(link, recovery_delay=0.05)
    heard: list[tuple[DeviceStatus, str]] = []
    changed = asyncio.Event()

    def on_status(status: DeviceStatus, detail: str) -> None:
        heard.append((status, detail))
        changed.set()

    sender.on_status = on_status
    await sender.start()
    inbox = Inbox()
    receiver: MidiReceiver | None = None
    try:
        sender.send([H("c0 01")])
        async with asyncio.timeout(2):
            while sender.status is not DeviceStatus.UNREACHABLE:
                sender.send([H("c0 01")])
                await asyncio.sleep(0.01)
        assert sender.errors >= 1
        assert heard[0][0] is DeviceStatus.UNREACHABLE
        receiver = await open_midi_receiver({"transport": "udp", "port": port}, inbox)
        sender.send([H("c0 02")])
        assert (await inbox.take(1))[0] == H("c0 02")
        changed.clear()
        async with asyncio.timeout(2):
            await changed.wait()
        assert heard[-1] == (DeviceStatus.UNKNOWN, "sends no longer bounce")
    finally:
        await sender.aclose()
        if receiver is not None:
            await receiver.aclose()


async def test_inproc_bus_delivers_after_the_call_and_buses_are_separate() -> None:
    bus, other = MidiBus(), MidiBus()
    inbox, elsewhere = Inbox(), Inbox()
    receiver = await open_midi_receiver({"transport": "inproc", "port_name": "a"}, inbox, bus=bus)
    stray = await open_midi_receiver(
        {"transport": "inproc", "port_name": "a"}, elsewhere, bus=other
    )
    sender = open_midi_sender({"transport": "inproc", "port_name": "a"}, bus=bus)
    statuses: list[DeviceStatus] = []
    sender.on_status = lambda status, _: statuses.append(status)
    await sender.start()
    sender.send([H("b0 07 64"), GO])
    assert inbox.queue.empty()  # delivered on a later loop iteration, like a network
    assert await inbox.take(2) == [H("b0 07 64"), GO]
    assert elsewhere.queue.empty()
    assert statuses == [DeviceStatus.OK]
    await receiver.aclose()
    assert bus.listeners("a") == 0
    sender.send([GO])
    await asyncio.sleep(0)
    assert inbox.queue.empty()
    await sender.aclose()
    await stray.aclose()


def test_inproc_needs_a_bus_and_bad_connections_name_the_key() -> None:
    with pytest.raises(ValueError, match="inproc needs a MidiBus"):
        open_midi_sender({"transport": "inproc"})
    cases: list[tuple[dict[str, ParamValue], str]] = [
        ({"transport": "serial"}, "connection transport: expected udp (default), rtmidi"),
        ({"transport": "udp"}, "connection port: expected a UDP port for the udp transport"),
        ({"port": 0}, "connection port: expected a UDP port from 1 to 65535, got 0"),
        ({"transport": "rtmidi"}, "connection port_name: expected the name of a system MIDI port"),
        ({"transport": "ipmidi", "ipmidi_port": 20}, "ipmidi_port: expected an ipMIDI port index"),
        ({"transport": "ipmidi", "interface": "eth0"}, "interface: expected an IPv4 address"),
        ({"transport": "ipmidi", "ttl": 300}, "ttl: expected a multicast TTL"),
    ]
    for connection, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            open_midi_sender(connection)


async def test_rtmidi_on_a_machine_without_midi_names_what_is_missing() -> None:
    sender = open_midi_sender({"transport": "rtmidi", "port_name": "Desk In"})
    assert isinstance(sender, RtMidiSender)
    with pytest.raises(DeviceError) as caught:
        await sender.start()
    text = str(caught.value)
    # No python-rtmidi here; with it but no ALSA sequencer (CI), the system is what is missing.
    assert "python-rtmidi" in text or "no MIDI system" in text or "no MIDI output port" in text
    assert sender.status is DeviceStatus.UNREACHABLE
    sender.send([GO])
    assert sender.dropped == 1
    await sender.aclose()


class FakeOutput(mido.ports.BaseOutput):  # type: ignore[misc]
    """A port that records what it is sent."""

    def _open(self, **kwargs: Any) -> None:
        self.sent: list[mido.Message] = []

    def _send(self, message: mido.Message) -> None:
        if message.type == "program_change" and message.program == 99:
            raise OSError("device unplugged")
        self.sent.append(message)


class FakeBackend:
    """The part of a mido backend the rtmidi transport uses."""

    def __init__(self) -> None:
        self.output = FakeOutput("Desk")
        self.callback: Any = None

    def get_output_names(self) -> list[str]:
        return ["Desk", "Other"]

    def get_input_names(self) -> list[str]:
        return ["Desk"]

    def open_output(self, name: str) -> FakeOutput:
        return self.output

    def open_input(self, name: str, callback: Any) -> mido.ports.BaseInput:
        self.callback = callback
        return mido.ports.BaseInput(name)


async def test_rtmidi_sends_through_the_backend_and_contains_its_errors() -> None:
    backend = FakeBackend()
    missing = open_midi_sender(
        {"transport": "rtmidi", "port_name": "Nope"}, load_backend=lambda: backend
    )
    with pytest.raises(
        DeviceError, match=r"no MIDI output port named 'Nope' \(available: 'Desk', 'Other'\)"
    ):
        await missing.start()
    sender = open_midi_sender(
        {"transport": "rtmidi", "port_name": "Desk"}, load_backend=lambda: backend
    )
    heard: list[DeviceStatus] = []
    sender.on_status = lambda status, _: heard.append(status)
    await sender.start()
    sender.send([H("90 3c 7f"), GO, H("c0 63"), H("c0 01")])
    assert [bytes(m.bytes()) for m in backend.output.sent] == [H("90 3c 7f"), GO, H("c0 01")]
    assert (sender.sent, sender.errors) == (3, 1)
    assert heard == [DeviceStatus.OK, DeviceStatus.UNREACHABLE, DeviceStatus.OK]
    await sender.aclose()


async def test_rtmidi_input_hops_from_its_thread_onto_the_loop() -> None:
    backend = FakeBackend()
    inbox = Inbox()
    receiver = await open_midi_receiver(
        {"transport": "rtmidi", "port_name": "Desk"}, inbox, load_backend=lambda: backend
    )
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def record(message: bytes) -> None:
        threads.append(threading.get_ident())
        inbox(message)

    receiver._on_message = record  # type: ignore[attr-defined]
    worker = threading.Thread(target=backend.callback, args=(mido.Message("note_on", note=1),))
    worker.start()
    worker.join()
    assert await inbox.take(1) == [H("90 01 40")]
    assert threads == [loop_thread]
    await receiver.aclose()


NAMESPACE_SCRIPT = """
import asyncio, json, subprocess
from cuebridge.drivers.midi_transport import open_midi_receiver, open_midi_sender

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True, check=True)
assert routes.stdout.strip() == "", "not in a private network namespace: " + routes.stdout

async def main():
    connection = {"transport": "ipmidi", "ipmidi_port": 1, "interface": "127.0.0.1", "ttl": 0}
    heard, own = [], []
    sender = open_midi_sender(connection)
    await sender.start()
    listener = await open_midi_receiver(connection, lambda m: heard.append(m.hex(" ")))
    deaf = await open_midi_receiver(
        connection, lambda m: own.append(m.hex(" ")), ignore_from={sender.local_address}
    )
    sender.send([bytes.fromhex("f0 7f 7f 02 01 01 31 00 31 f7"), bytes.fromhex("c0 05")])
    for _ in range(200):
        if len(heard) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    print(json.dumps({"heard": heard, "own": own, "ignored": deaf.ignored, "port": listener.port}))
    for link in (sender, listener, deaf):
        await link.aclose()

asyncio.run(main())
"""


def _namespace_command() -> list[str]:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare or ip not available")
    for command in (["unshare", "-n"], ["unshare", "-rn"]):
        if subprocess.run([*command, "true"], capture_output=True, check=False).returncode == 0:
            return command
    pytest.skip("cannot create a private network namespace here")


def test_ipmidi_multicast_inside_a_private_network_namespace(tmp_path: Path) -> None:
    command = _namespace_command()
    script = tmp_path / "ipmidi.py"
    script.write_text(NAMESPACE_SCRIPT)
    result = subprocess.run(
        [*command, sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "heard": ["f0 7f 7f 02 01 01 31 00 31 f7", "c0 05"],
        "own": [],
        "ignored": 1,
        "port": 21929,
    }
