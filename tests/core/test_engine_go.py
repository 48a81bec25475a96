"""GO, standby, double-GO guard, end of list, running cues, arm/disarm, load and lists."""

from __future__ import annotations

import pytest
from builders import cue, level, send, show

from cuebridge.core.commands import (
    Arm,
    Go,
    GoCue,
    LoadCue,
    StandbyNext,
    StandbyPrevious,
    StartCue,
)
from cuebridge.core.effects import SendAction
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import (
    CommandIgnored,
    CueStarted,
    IgnoredReason,
    StandbyChanged,
    Trigger,
)
from cuebridge.core.model import CueList


def standby(engine: CueEngine, list_id: str = "main") -> str | None:
    return next(ls.standby for ls in engine.snapshot().lists if ls.id == list_id)


def ignored(events: list[object]) -> list[IgnoredReason]:
    return [e.reason for e in events if isinstance(e, CommandIgnored)]


def started(events: list[object]) -> list[str]:
    return [e.number for e in events if isinstance(e, CueStarted)]


def test_go_fires_standby_and_moves_standby_on() -> None:
    engine = CueEngine(show(cue("1", send(number=3)), cue("2"), cue("3")))
    assert standby(engine) == "1"
    out = engine.handle(Go(source="panel"), 10.0)
    assert out.effects == [
        SendAction(device="mixer", action="scene", params={"number": 3}, cue="1")
    ]
    assert out.events[0] == StandbyChanged(at=10.0, cue_list="main", number="2")
    assert out.events[1] == CueStarted(
        at=10.0, number="1", cue_list="main", trigger=Trigger.GO, source="panel"
    )
    assert standby(engine) == "2"
    assert engine.snapshot().lists[0].next == "3"


def test_go_past_the_last_cue_is_ignored_and_reported() -> None:
    engine = CueEngine(show(cue("1")))
    engine.handle(Go(), 0.0)
    assert standby(engine) is None
    out = engine.handle(Go(), 5.0)
    assert out.effects == []
    assert ignored(out.events) == [IgnoredReason.END_OF_LIST]
    assert "end of list" in out.events[0].detail  # type: ignore[attr-defined]


def test_double_go_inside_the_minimum_interval_is_ignored() -> None:
    engine = CueEngine(show(cue("1"), cue("2"), cue("3"), min_go=0.5))
    assert started(engine.handle(Go(), 1.0).events) == ["1"]
    out = engine.handle(Go(source="osc"), 1.2)
    assert started(out.events) == []
    assert ignored(out.events) == [IgnoredReason.LOCKED_OUT]
    assert out.events[0].detail == "GO locked out for another 0.30 s (0.5 s between GOs)"  # type: ignore[attr-defined]
    assert engine.snapshot(1.2).go_locked_until == pytest.approx(1.5)
    assert standby(engine) == "2"
    # every GO-type command shares the guard
    assert ignored(engine.handle(GoCue(number="3"), 1.3).events) == [IgnoredReason.LOCKED_OUT]
    assert ignored(engine.handle(StartCue(number="3"), 1.4).events) == [IgnoredReason.LOCKED_OUT]
    assert started(engine.handle(Go(), 1.5).events) == ["2"]
    assert engine.snapshot(2.1).go_locked_until is None


def test_firing_a_running_cue_is_reported_and_the_standby_moves_on() -> None:
    engine = CueEngine(show(cue("1", level(1, 0, fade=10)), cue("2"), cue("3")))
    engine.handle(Go(), 0.0)
    engine.handle(LoadCue(number="1"), 1.0)
    out = engine.handle(Go(), 2.0)
    assert out.effects == []
    assert ignored(out.events) == [IgnoredReason.ALREADY_RUNNING]
    assert standby(engine) == "2"


def test_go_cue_moves_the_standby_there_and_fires() -> None:
    engine = CueEngine(show(cue("1"), cue("2"), cue("3"), cue("4")))
    out = engine.handle(GoCue(number="3"), 0.0)
    assert started(out.events) == ["3"]
    assert standby(engine) == "4"


def test_start_cue_leaves_the_standby_alone() -> None:
    engine = CueEngine(show(cue("1"), cue("2"), cue("3")))
    assert started(engine.handle(StartCue(number="3"), 0.0).events) == ["3"]
    assert standby(engine) == "1"


def test_unknown_cue_is_reported() -> None:
    engine = CueEngine(show(cue("1")))
    out = engine.handle(GoCue(number="9"), 0.0)
    assert ignored(out.events) == [IgnoredReason.UNKNOWN_CUE]
    assert ignored(engine.handle(Go(cue_list="nope"), 0.0).events) == [IgnoredReason.UNKNOWN_LIST]


def test_disarmed_cues_are_skipped_by_the_standby() -> None:
    engine = CueEngine(show(cue("1", armed=False), cue("2"), cue("3", armed=False), cue("4")))
    assert standby(engine) == "2"
    engine.handle(Go(), 0.0)
    assert standby(engine) == "4"
    assert ignored(engine.handle(GoCue(number="3"), 1.0).events) == [IgnoredReason.DISARMED]
    assert ignored(engine.handle(StartCue(number="3"), 1.0).events) == [IgnoredReason.DISARMED]


def test_disarming_the_standby_moves_it_and_arming_allows_it_again() -> None:
    engine = CueEngine(show(cue("1"), cue("2"), cue("3")))
    out = engine.handle(Arm(number="1", armed=False), 0.0)
    assert standby(engine) == "2"
    assert StandbyChanged(at=0.0, cue_list="main", number="2") in out.events
    assert engine.snapshot().disarmed == frozenset({"1"})
    engine.handle(Arm(number="1", armed=True), 1.0)
    engine.handle(LoadCue(number="1"), 1.0)
    assert standby(engine) == "1"
    assert ignored(engine.handle(Arm(number="1"), 2.0).events) == [IgnoredReason.NOTHING_TO_DO]


def test_standby_next_and_previous_skip_disarmed_cues() -> None:
    engine = CueEngine(show(cue("1"), cue("2", armed=False), cue("3")))
    engine.handle(StandbyNext(), 0.0)
    assert standby(engine) == "3"
    engine.handle(StandbyNext(), 0.0)
    assert standby(engine) is None
    assert ignored(engine.handle(StandbyNext(), 0.0).events) == [IgnoredReason.END_OF_LIST]
    engine.handle(StandbyPrevious(), 0.0)
    assert standby(engine) == "3"
    engine.handle(StandbyPrevious(), 0.0)
    assert standby(engine) == "1"
    assert ignored(engine.handle(StandbyPrevious(), 0.0).events) == [IgnoredReason.NOTHING_TO_DO]


def test_load_rejects_cues_inside_groups() -> None:
    group = cue("5", children=(cue("5.1"), cue("5.2")))
    engine = CueEngine(show(cue("1"), group))
    assert ignored(engine.handle(LoadCue(number="5.1"), 0.0).events) == [IgnoredReason.INSIDE_GROUP]
    assert ignored(engine.handle(GoCue(number="5.1"), 0.0).events) == [IgnoredReason.INSIDE_GROUP]
    assert started(engine.handle(StartCue(number="5.1"), 0.0).events) == ["5.1"]


def test_each_list_has_its_own_standby() -> None:
    sound = CueList(id="sound", name="Sound", cues=(cue("101"), cue("102")))
    engine = CueEngine(show(cue("1"), cue("2"), extra=(sound,)))
    engine.handle(Go(cue_list="sound"), 0.0)
    assert standby(engine, "sound") == "102"
    assert standby(engine, "main") == "1"
    assert started(engine.handle(Go(), 1.0).events) == ["1"]


def test_time_going_backwards_is_a_programming_error() -> None:
    engine = CueEngine(show(cue("1")))
    engine.advance(5.0)
    with pytest.raises(ValueError, match="time went backwards"):
        engine.advance(4.0)
