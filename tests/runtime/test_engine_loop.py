"""The engine loop on a real event loop: wakes exactly for deadlines and commands, never polls."""

from __future__ import annotations

import asyncio
import contextlib

from cuebridge.core.commands import Go
from cuebridge.core.effects import Effect
from cuebridge.core.engine import CueEngine, Outcome
from cuebridge.core.model import Action, Cue, CueList, Show
from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.engine_loop import INBOX_LIMIT, EngineLoop
from cuebridge.runtime.router import Router


class Recorder:
    """An output that records what it was sent and when."""

    def __init__(self, name: str, clock: MonotonicClock, fail: bool = False) -> None:
        self.name = name
        self.status = DeviceStatus.OK
        self.sent: list[tuple[float, Effect]] = []
        self.got_one = asyncio.Event()
        self._clock = clock
        self._fail = fail

    async def start(self) -> None:
        pass

    def send(self, effect: Effect) -> None:
        if self._fail:
            raise RuntimeError("driver bug")
        self.sent.append((self._clock.now(), effect))
        self.got_one.set()

    async def aclose(self) -> None:
        pass


def two_cue_show(pre_wait: float) -> Show:
    action = Action(device="desk", action="scene", params={"n": 1})
    bad = Action(device="broken", action="scene", params={"n": 2})
    cues = (
        Cue(number="1", actions=(bad, action), pre_wait=pre_wait),
        Cue(number="2", actions=(action,)),
    )
    return Show(title="t", cue_lists=(CueList(id="main", name="Main", cues=cues),))


async def test_pre_wait_fires_on_time_without_polling() -> None:
    clock = MonotonicClock()
    desk, broken = Recorder("desk", clock), Recorder("broken", clock, fail=True)
    loop = EngineLoop(
        CueEngine(two_cue_show(0.15)), clock, Router({"desk": desk, "broken": broken})
    )
    outcomes: list[Outcome] = []
    loop.add_listener(outcomes.append)
    task = asyncio.create_task(loop.run())
    try:
        went = clock.now()
        assert loop.submit(Go(source="test"))
        async with asyncio.timeout(5):
            await desk.got_one.wait()
        fired_after = desk.sent[0][0] - went
        assert 0.15 <= fired_after < 0.25
        # One wake-up for the GO, one for the pre-wait's end: no fixed-rate tick.
        assert loop.processed <= 3
        assert any(o.events for o in outcomes)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_failing_output_never_stops_the_others() -> None:
    clock = MonotonicClock()
    desk, broken = Recorder("desk", clock), Recorder("broken", clock, fail=True)
    router = Router({"desk": desk, "broken": broken})
    loop = EngineLoop(CueEngine(two_cue_show(0.0)), clock, router)
    loop.step(Go())
    assert len(desk.sent) == 1
    assert router.failures == {"broken": 1}


async def test_a_flood_of_commands_is_bounded() -> None:
    clock = MonotonicClock()
    loop = EngineLoop(CueEngine(two_cue_show(0.0)), clock, Router({}))
    accepted = sum(loop.submit(Go()) for _ in range(INBOX_LIMIT + 5))
    assert accepted == INBOX_LIMIT
