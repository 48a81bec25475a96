"""The MIDI output driver: actions to bytes, fades at a rate ending on target, contained errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from cuebridge.config.profile_model import Profile
from cuebridge.config.profiles import ProfileCatalog
from cuebridge.core.curves import Curve
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import StatusCallback
from cuebridge.drivers.midi_output import MidiOutput, midi_output_for
from cuebridge.drivers.midi_transport import MidiBus, MidiReceiver, open_midi_receiver
from cuebridge.errors import DeviceError
from cuebridge.render.midi import render_midi
from cuebridge.runtime.clock import MonotonicClock

REPO = Path(__file__).resolve().parents[2]
H = bytes.fromhex


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


def profile(catalog: ProfileCatalog, profile_id: str) -> Profile:
    found = catalog.get(profile_id)
    assert found is not None
    return found


def device(profile_id: str, **connection: ParamValue) -> Device:
    return Device(name="desk", profile=profile_id, connection=connection)


class Wire:
    """Timestamped messages from a receiver."""

    def __init__(self) -> None:
        self.got: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    def __call__(self, message: bytes) -> None:
        self.got.put_nowait((time.monotonic(), message))

    async def take(self, count: int, within: float = 2.0) -> list[bytes]:
        async with asyncio.timeout(within):
            return [(await self.got.get())[1] for _ in range(count)]

    async def until(self, last: bytes, within: float = 3.0) -> list[tuple[float, bytes]]:
        seen: list[tuple[float, bytes]] = []
        async with asyncio.timeout(within):
            while not seen or seen[-1][1] != last:
                seen.append(await self.got.get())
        return seen

    async def quiet(self, seconds: float = 0.15) -> list[bytes]:
        await asyncio.sleep(seconds)
        return [self.got.get_nowait()[1] for _ in range(self.got.qsize())]


@pytest.fixture
async def udp_wire() -> AsyncIterator[tuple[Wire, MidiReceiver]]:
    wire = Wire()
    receiver = await open_midi_receiver({"transport": "udp", "port": 0}, wire)
    yield wire, receiver
    await receiver.aclose()


def send(action: str, **params: ParamValue) -> SendAction:
    return SendAction(device="desk", action=action, params=params, cue="1", fade_params=("value",))


def cc_fade(start: float, end: float, duration: float, begin: float) -> StartFade:
    return StartFade(
        device="desk",
        action="cc",
        params={"channel": 1, "controller": 7, "value": end},
        start={"value": start},
        end={"value": end},
        curve=Curve.LINEAR,
        begin=begin,
        duration=duration,
        cue="2",
    )


async def test_actions_go_out_as_rendered_over_udp(
    catalog: ProfileCatalog, udp_wire: tuple[Wire, MidiReceiver]
) -> None:
    wire, receiver = udp_wire
    output = midi_output_for(
        device("etc-eos-msc", transport="udp", host="127.0.0.1", port=receiver.port, device_id=7),
        profile(catalog, "etc-eos-msc"),
        MonotonicClock(),
    )
    await output.start()
    try:
        output.send(SendAction(device="desk", action="go", params={"cue": "5"}, cue="1"))
        assert await wire.take(1) == [H("f0 7f 07 02 01 01 35 00 31 f7")]
    finally:
        await output.aclose()
        await output.aclose()


async def test_cc_fade_comes_at_the_rate_skips_repeats_and_ends_exactly(
    catalog: ProfileCatalog, udp_wire: tuple[Wire, MidiReceiver]
) -> None:
    wire, receiver = udp_wire
    output = midi_output_for(
        device("generic-midi", port=receiver.port, fade_rate=40),
        profile(catalog, "generic-midi"),
        MonotonicClock(),
    )
    await output.start()
    try:
        begin = time.monotonic()
        output.send(cc_fade(0, 127, 0.5, begin))
        frames = await wire.until(H("b0 07 7f"))
        values = [message[2] for _, message in frames]
        # the end frame is always sent, so 127 may come twice when a frame fell just before it
        assert await wire.quiet() in ([], [H("b0 07 7f")])
        assert values[0] == 0
        assert len(set(values)) == len(values)  # each frame a new value
        assert values == sorted(values)
        assert 6 <= len(values) <= 22  # about 40 Hz over 0.5 s (fewer when the machine is busy)
        assert frames[-1][0] - begin == pytest.approx(0.5, abs=0.2)
        assert output.fading == 0
    finally:
        await output.aclose()


async def test_a_slow_fade_sends_each_value_once_and_the_end_frame_always() -> None:
    bus, wire = MidiBus(), Wire()
    receiver = await open_midi_receiver({"transport": "inproc"}, wire, bus=bus)
    catalog = ProfileCatalog.load([REPO / "profiles"])
    output = midi_output_for(
        device("generic-midi", transport="inproc"), profile(catalog, "generic-midi"),
        MonotonicClock(), bus=bus,
    )  # fmt: skip
    await output.start()
    try:
        output.send(cc_fade(0, 2, 0.4, time.monotonic()))
        frames = [message for _, message in await wire.until(H("b0 07 02"))]
        frames += await wire.quiet()
        values = [message[2] for message in frames]
        assert values in ([0, 1, 2, 2], [0, 1, 2])  # the last 2 is the end frame, always sent
    finally:
        await output.aclose()
        await receiver.aclose()


async def test_an_action_on_the_target_ends_its_fade(
    catalog: ProfileCatalog, udp_wire: tuple[Wire, MidiReceiver]
) -> None:
    wire, receiver = udp_wire
    output = midi_output_for(
        device("generic-midi", port=receiver.port),
        profile(catalog, "generic-midi"),
        MonotonicClock(),
    )
    await output.start()
    try:
        output.send(cc_fade(0, 127, 5.0, time.monotonic()))
        await wire.take(1)
        output.send(send("cc", channel=1, controller=7, value=64))
        frames = [message for _, message in await wire.until(H("b0 07 40"))]
        assert all(message[2] < 64 for message in frames[:-1])
        assert output.fading == 0
        assert await wire.quiet() == []
    finally:
        await output.aclose()


class BrokenSender:
    """A sender whose send raises (a bug), to prove the output contains it."""

    def __init__(self) -> None:
        self.on_status: StatusCallback | None = None
        self.sent = self.dropped = self.errors = 0
        self.status = DeviceStatus.OK

    async def start(self) -> None:
        return None

    def send(self, messages: Sequence[bytes]) -> None:
        raise RuntimeError("boom")

    async def aclose(self) -> None:
        return None


async def test_render_and_send_failures_are_counted_and_reported_not_raised(
    catalog: ProfileCatalog,
) -> None:
    generic = profile(catalog, "generic-midi")
    heard: list[tuple[DeviceStatus, str]] = []
    output = MidiOutput(
        "desk",
        BrokenSender(),
        lambda action, params: render_midi(generic.actions[action], params),
        MonotonicClock(),
        report=lambda status, detail: heard.append((status, detail)),
    )
    await output.start()
    try:
        output.send(send("note_on", channel=1, note=60))
        assert output.send_failures == 1
        assert heard == [(DeviceStatus.UNREACHABLE, "send failed: boom")]
        output.send(send("note_on", channel=1))  # missing note
        output.send(send("no_such_action"))
        assert output.render_errors == 2
    finally:
        await output.aclose()


async def test_a_device_that_cannot_open_reports_it_and_still_accepts_effects(
    catalog: ProfileCatalog,
) -> None:
    heard: list[DeviceStatus] = []
    output = midi_output_for(
        device("yamaha-cl", transport="rtmidi", port_name="CL5 MIDI"),
        profile(catalog, "yamaha-cl"),
        MonotonicClock(),
        lambda status, _: heard.append(status),
    )
    with pytest.raises(DeviceError):
        await output.start()
    assert heard == [DeviceStatus.UNREACHABLE]
    assert output.status is DeviceStatus.UNREACHABLE
    output.send(send("recall_scene", channel=1, scene=3))
    output.send(cc_fade(0, 1, 0.01, time.monotonic()))
    await asyncio.sleep(0.05)
    assert output.sender.dropped >= 1
    await output.aclose()


def test_factory_checks_options(catalog: ProfileCatalog) -> None:
    generic = profile(catalog, "generic-midi")
    clock = MonotonicClock()
    with pytest.raises(ValueError, match=r"desk: unknown MIDI option\(s\) \['devce_id'\]"):
        midi_output_for(device("generic-midi", port=9, devce_id=1), generic, clock)
    with pytest.raises(ValueError, match="desk: option device_id: expected an MSC device ID"):
        midi_output_for(device("generic-midi", port=9, device_id=200), generic, clock)
    with pytest.raises(ValueError, match="desk: connection port: expected a UDP port"):
        midi_output_for(device("generic-midi", port="midi"), generic, clock)
    defaulted = midi_output_for(device("generic-midi"), generic, clock)  # the profile's port
    assert defaulted.sender.status is DeviceStatus.UNKNOWN
    with pytest.raises(ValueError, match="fade_rate must be a positive number"):
        midi_output_for(device("generic-midi", port=9, fade_rate=0), generic, clock)
    with pytest.raises(ValueError, match="fade_rate must be a number"):
        midi_output_for(device("generic-midi", port=9, fade_rate="fast"), generic, clock)
