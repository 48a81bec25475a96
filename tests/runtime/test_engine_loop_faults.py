"""An engine exception costs one command (logged, counted), never the engine loop or the show."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import pytest
from test_persist import until

from cuebridge.core.commands import Command, Go
from cuebridge.core.engine import CueEngine, Outcome
from cuebridge.core.events import CueStarted
from cuebridge.core.model import Cue, CueList, Show, ShowSettings
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.engine_loop import EngineLoop
from cuebridge.runtime.router import Router


@dataclass(frozen=True, slots=True, kw_only=True)
class Bogus(Command):
    """A command the engine does not know: `CueEngine.handle` raises TypeError on it."""


def show() -> Show:
    cues = (Cue(number="1"), Cue(number="2"), Cue(number="3", pre_wait=0.05))
    return Show(
        title="t",
        cue_lists=(CueList(id="main", name="Main", cues=cues),),
        settings=ShowSettings(min_go_interval=0.0),
    )


class FlakyEngine(CueEngine):
    """Its `advance` raises the first `failures` times a deadline is processed."""

    def __init__(self, failures: int) -> None:
        super().__init__(show())
        self.left = failures
        self.calls = 0

    def advance(self, now: float) -> Outcome:
        if self.next_deadline() is not None and self.left > 0:
            self.calls += 1
            self.left -= 1
            raise RuntimeError("engine bug in a deadline")
        return super().advance(now)


def started(outcomes: list[Outcome]) -> list[str]:
    return [e.number for o in outcomes for e in o.events if isinstance(e, CueStarted)]


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_command_the_engine_raises_on_is_dropped_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = EngineLoop(CueEngine(show()), MonotonicClock(), Router({}))
    outcomes: list[Outcome] = []
    drops: list[tuple[Command, str]] = []
    loop.add_listener(outcomes.append)
    loop.add_drop_listener(lambda command, reason: drops.append((command, reason)))
    task = asyncio.create_task(loop.run())
    try:
        with caplog.at_level(logging.ERROR, logger="cuebridge.runtime.engine_loop"):
            assert loop.submit(Bogus(source="test:bogus"))
            assert loop.submit(Go(source="console"))
            await until(lambda: bool(started(outcomes)))
        assert not task.done()
        assert started(outcomes) == ["1"]
        assert loop.failures == 1
        assert [(type(c).__name__, reason) for c, reason in drops] == [("Bogus", "engine error")]
        record = next(r for r in caplog.records if "Bogus" in r.getMessage())
        assert "test:bogus" in record.getMessage()
        assert record.exc_info is not None  # the traceback is logged
        assert loop.submit(Go(source="console"))
        await until(lambda: started(outcomes) == ["1", "2"])
    finally:
        await stop(task)


async def test_a_failing_deadline_is_retried_with_backoff_then_recovers() -> None:
    engine = FlakyEngine(failures=0)
    loop = EngineLoop(engine, MonotonicClock(), Router({}))
    outcomes: list[Outcome] = []
    loop.add_listener(outcomes.append)
    loop.step(Go())  # cue 1
    loop.step(Go())  # cue 2
    engine.left = 10**6  # every deadline fails until the bug "goes away"
    task = asyncio.create_task(loop.run())
    try:
        assert loop.submit(Go())  # cue 3: a 50 ms pre-wait, then its deadline fails
        await until(lambda: loop.failures >= 3)
        await asyncio.sleep(0.4)
        assert not task.done()
        assert engine.calls <= 12  # backed off between retries: no busy loop
        assert loop.failures == engine.calls
        engine.left = 0
        await until(lambda: engine.next_deadline() is None)
        assert started(outcomes) == ["1", "2", "3"]
    finally:
        await stop(task)
