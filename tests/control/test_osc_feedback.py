"""Feedback: a full dump on subscribe, pushes on change, expiry after the TTL, QLab updates."""

from __future__ import annotations

import json

from osc_harness import SlipClient, UdpClient, envelope, make_show, serve

from cuebridge.control.osc_feedback import Feedback
from cuebridge.control.osc_session import ClientSession
from cuebridge.control.osc_values import FEEDBACK_ADDRESSES, format_remaining
from cuebridge.core.commands import Go
from cuebridge.core.engine import CueEngine
from cuebridge.drivers.base import DeviceStatus
from cuebridge.protocols.osc import OscMessage, OscValue, decode_packet, osc_message
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.roles import Role
from cuebridge.runtime.status import DeviceHealth

COMPANION_KEYS = (
    '["number","uniqueID","listName","type","isPaused","duration","actionElapsed","parent",'
    '"flagged","notes","autoLoad","colorName","isRunning","isLoaded","armed","isBroken",'
    '"percentActionElapsed","cartPosition"]'
)
"""The keys Companion's QLab module asks for."""


class Recorder:
    """A fake client: records what the feedback sends it."""

    def __init__(self) -> None:
        self.received: list[OscMessage] = []
        self.session = ClientSession(
            host="127.0.0.1", port=9, stream=False, role=Role.VIEWER, transmit=self._transmit
        )

    def _transmit(self, session: ClientSession, data: bytes) -> None:
        packet = decode_packet(data)
        assert isinstance(packet, OscMessage)
        self.received.append(packet)

    def values(self) -> dict[str, OscValue]:
        found = {m.address: m.values[0] for m in self.received}
        self.received.clear()
        return found


def feedback_for(engine: CueEngine, clock: FakeClock) -> Feedback:
    return Feedback(
        snapshot=lambda: engine.snapshot(clock.now()),
        show=lambda: engine.show,
        devices=lambda: {"desk": DeviceHealth(device="desk", status=DeviceStatus.OK)},
        clock=clock,
    )


def test_subscribe_dumps_everything_then_only_changes_until_the_ttl_ends() -> None:
    clock = FakeClock(100.0)
    engine = CueEngine(make_show())
    feedback = feedback_for(engine, clock)
    client = Recorder()
    assert feedback.subscribe(client.session, 5.0) == 5.0
    feedback.flush()
    dump = client.values()
    assert dump["/cuebridge/out/standby/number"] == "1"
    assert dump["/cuebridge/out/state"] == "idle"
    assert dump["/cuebridge/out/device/desk/status"] == "ok"
    assert dump["/cuebridge/out/go/enabled"] == 1
    documented = {a.replace("{name}", "desk") for a in FEEDBACK_ADDRESSES}
    assert set(dump) == documented
    feedback.flush()
    assert client.values() == {}  # nothing changed, nothing sent
    engine.handle(Go(source="test"), clock.now())
    feedback.flush()
    assert client.values() == {
        "/cuebridge/out/standby/number": "2",
        "/cuebridge/out/standby/name": "Lights up",
        "/cuebridge/out/standby/notes": "slow",
        "/cuebridge/out/next/number": "3",
    }  # cue 1 has no duration: it finished as it fired
    engine.handle(Go(source="test"), clock.now())
    feedback.flush()
    changed = client.values()
    assert changed["/cuebridge/out/running/number"] == "2"
    assert changed["/cuebridge/out/state"] == "running"
    clock.advance(4.9)
    feedback.flush()
    assert client.values()["/cuebridge/out/running/remaining"] == "00:25.1"
    clock.advance(0.2)  # past the TTL
    feedback.flush()
    assert client.values() == {}
    assert feedback.subscriber_count == 0
    assert not client.session.subscribed


def test_renewing_before_the_ttl_keeps_the_subscription_and_dumps_again() -> None:
    clock = FakeClock()
    engine = CueEngine(make_show())
    feedback = feedback_for(engine, clock)
    client = Recorder()
    feedback.subscribe(client.session, 2.0)
    feedback.flush()
    client.values()
    clock.advance(1.5)
    feedback.subscribe(client.session, 2.0)
    clock.advance(1.5)
    feedback.flush()
    assert "/cuebridge/out/standby/number" in client.values()
    assert feedback.subscriber_count == 1
    feedback.subscribe(client.session, 0.0)  # clamped to the minimum, never 0
    clock.advance(0.9)
    feedback.flush()
    assert feedback.subscriber_count == 1


def test_remaining_time_format() -> None:
    assert format_remaining(0.0) == "00:00.0"
    assert format_remaining(0.01) == "00:00.1"
    assert format_remaining(65.25) == "01:05.3"
    assert format_remaining(3599.85) == "59:59.9"
    assert format_remaining(3599.95) == "1:00:00"
    assert format_remaining(3600.0) == "1:00:00"


async def test_a_udp_subscriber_gets_pushes_when_a_go_lands() -> None:
    async with serve(make_show()) as run:
        watcher = await UdpClient.open(run.port)
        operator = await UdpClient.open(run.port)
        try:
            watcher.send(osc_message("/cuebridge/subscribe", "if", 1, 10.0))
            standby = await watcher.receive_until("/cuebridge/out/standby/number")
            assert standby.values == ("1",)
            operator.send(osc_message("/cuebridge/go"))
            moved = await watcher.receive_until("/cuebridge/out/standby/number")
            assert moved.values == ("2",)
            operator.send(osc_message("/cuebridge/go"))
            running = await watcher.receive_until("/cuebridge/out/running/number")
            assert running.values == ("2",)
            watcher.send(osc_message("/cuebridge/subscribe", "i", 0))
            assert await _quiet(watcher)
        finally:
            watcher.close()
            operator.close()


async def _quiet(client: UdpClient) -> bool:
    """True when nothing but already-queued messages arrives for a while."""
    try:
        while True:
            await client.receive(within=1.2)
    except TimeoutError:
        return True


async def test_companion_style_tcp_session_gets_replies_and_qlab_updates() -> None:
    """Connect, /connect, /updates 1, /go, read /reply and /update like Companion's module."""
    async with serve(make_show()) as run:
        client = await SlipClient.open(run.server.tcp_port)
        try:
            client.send(osc_message("/version"))
            version = await client.receive_until("/reply/version")
            assert '"data":"5.' in str(version.values[0])
            client.send(osc_message("/connect"))
            connect = await client.receive_until("/reply/connect")
            assert '"ok:view|control"' in str(connect.values[0])
            client.send(osc_message("/updates", "i", 1))
            await client.receive_until("/reply/updates")
            client.send(osc_message("/cue/playhead/uniqueID"))
            unique = await client.receive_until("/reply/cue_id/")
            client.send(osc_message("/cueLists"))
            lists = envelope(await client.receive_until("/reply/cueLists"))
            cue_list = lists["data"][0]
            assert [cue["number"] for cue in cue_list["cues"]] == ["1", "2", "3"]
            client.send(osc_message("/cue/playhead/valuesForKeys", "s", COMPANION_KEYS))
            values = envelope(await client.receive_until("/reply/cue_id/"))
            assert values["data"]["number"] == "1"
            assert values["data"]["isLoaded"] is True
            assert set(values["data"]) == set(json.loads(COMPANION_KEYS))
            client.send(osc_message("/alwaysReply", "i", 1))
            await client.receive_until("/reply/alwaysReply")
            client.send(osc_message(f"/cue_id/{cue_list['uniqueID']}/go"))  # a list's GO
            await client.receive_until("/reply/cue_id/")
            update = await client.receive_until("/update/workspace/")
            assert update.address.endswith("/playbackPosition")
            assert update.values != unique.values
            assert len(run.commands) == 1
            assert run.commands[0].source.startswith("osc-tcp:127.0.0.1:")
            client.send(osc_message("/disconnect"))
            await client.receive_until("/reply/disconnect")
        finally:
            await client.close()
