"""The daemon's lifecycle: start, serve, stop, close outputs in reverse, survive a bad device."""

from __future__ import annotations

import asyncio

from cuebridge.core.commands import Go
from cuebridge.core.effects import Effect
from cuebridge.core.model import Action, Cue, CueList, Device, Show
from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon


class Output:
    """Records its lifecycle into a shared journal; optionally fails to start."""

    def __init__(self, name: str, journal: list[str], fail_start: bool = False) -> None:
        self.name = name
        self.status = DeviceStatus.UNKNOWN
        self.sent: list[Effect] = []
        self._journal = journal
        self._fail_start = fail_start

    async def start(self) -> None:
        self._journal.append(f"start {self.name}")
        if self._fail_start:
            raise OSError("no route to host")
        self.status = DeviceStatus.OK

    def send(self, effect: Effect) -> None:
        self.sent.append(effect)

    async def aclose(self) -> None:
        self._journal.append(f"close {self.name}")


def show() -> Show:
    actions = (
        Action(device="desk", action="scene", params={"n": 1}),
        Action(device="down", action="scene", params={"n": 1}),
    )
    return Show(
        title="t",
        cue_lists=(CueList(id="main", name="Main", cues=(Cue(number="1", actions=actions),)),),
        devices={
            "desk": Device(name="desk", profile="generic-osc", connection={}),
            "down": Device(name="down", profile="generic-osc", connection={}),
        },
    )


async def test_a_device_that_fails_to_start_does_not_stop_the_show() -> None:
    journal: list[str] = []
    desk, down = Output("desk", journal), Output("down", journal, fail_start=True)
    daemon = Daemon(show(), {"down": down, "desk": desk}, MonotonicClock())
    dispatched = asyncio.Event()
    daemon.loop.add_listener(lambda outcome: dispatched.set())
    task = asyncio.create_task(daemon.run())
    async with asyncio.timeout(5):
        await daemon.ready.wait()
        daemon.loop.submit(Go(source="test"))
        await dispatched.wait()
        daemon.request_stop()
        await task
    assert journal == ["start down", "start desk", "close desk", "close down"]
    assert len(desk.sent) == 1
