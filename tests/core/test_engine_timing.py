"""Waits, continue modes, groups, pause/resume and stop, all with an explicit clock."""

from __future__ import annotations

import pytest
from builders import control, cue, level, send, show

from cuebridge.core.commands import Go, Pause, Resume, StartCue, Stop
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import (
    CommandIgnored,
    CueActionStarted,
    CueFinished,
    CueSkipped,
    CueStarted,
    CueStopped,
    IgnoredReason,
    Trigger,
)
from cuebridge.core.snapshot import CueState


def started(events: list[object]) -> list[tuple[str, Trigger]]:
    return [(e.number, e.trigger) for e in events if isinstance(e, CueStarted)]


def test_pre_wait_delays_the_actions() -> None:
    engine = CueEngine(show(cue("1", send(number=1), pre=2.0)))
    out = engine.handle(Go(), 0.0)
    assert out.effects == []
    assert engine.next_deadline() == 2.0
    assert engine.advance(1.99).effects == []
    out = engine.advance(2.0)
    assert [type(e) for e in out.effects] == [SendAction]
    assert out.events == [CueActionStarted(at=2.0, number="1"), CueFinished(at=2.0, number="1")]
    assert engine.next_deadline() is None


def test_auto_continue_fires_when_post_wait_ends_counted_from_action_start() -> None:
    engine = CueEngine(show(cue("1", pre=1.0, post=2.0, cont="auto-continue"), cue("2"), cue("3")))
    engine.handle(Go(), 0.0)
    assert engine.snapshot().lists[0].standby == "3"  # the standby skips what will auto-fire
    assert engine.next_deadline() == 1.0
    engine.advance(1.0)
    assert engine.next_deadline() == 3.0
    assert started(engine.advance(2.999).events) == []
    assert started(engine.advance(3.0).events) == [("2", Trigger.CONTINUE)]


def test_auto_continue_fires_even_while_the_cue_is_still_fading() -> None:
    engine = CueEngine(
        show(cue("1", level(1, 0, fade=10), post=1.0, cont="auto-continue"), cue("2"))
    )
    engine.handle(Go(), 0.0)
    assert started(engine.advance(1.0).events) == [("2", Trigger.CONTINUE)]
    assert engine.snapshot(1.0).cue_states["1"] is CueState.RUNNING


def test_auto_follow_fires_when_the_actions_finish() -> None:
    engine = CueEngine(
        show(cue("1", level(1, 0, fade=3), pre=1.0, post=9, cont="auto-follow"), cue("2"))
    )
    engine.handle(Go(), 0.0)
    assert engine.next_deadline() == 1.0
    engine.advance(1.0)
    assert engine.next_deadline() == 4.0
    out = engine.advance(4.0)
    assert out.events == [
        CueFinished(at=4.0, number="1"),
        CueStarted(at=4.0, number="2", cue_list="main", trigger=Trigger.FOLLOW, source="cue 1"),
        CueActionStarted(at=4.0, number="2"),
        CueFinished(at=4.0, number="2"),
    ]


def test_late_advance_processes_every_step_at_its_own_time() -> None:
    chain = show(
        cue("1", pre=1.0, cont="auto-follow"),
        cue("2", level(1, -10, fade=4), pre=0.5, cont="auto-follow"),
        cue("3", send(number=1)),
    )
    engine = CueEngine(chain)
    engine.handle(Go(), 0.0)
    out = engine.advance(100.0)  # the runtime woke up very late
    fade = next(e for e in out.effects if isinstance(e, StartFade))
    assert fade.begin == 1.5
    assert [(e.number, e.at) for e in out.events if isinstance(e, CueStarted)] == [
        ("2", 1.0),
        ("3", 5.5),
    ]


def test_disarmed_cue_reached_by_a_continue_is_skipped_but_keeps_its_waits() -> None:
    engine = CueEngine(
        show(
            cue("1", cont="auto-follow"),
            cue("2", send(number=2), pre=1.0, cont="auto-follow", armed=False),
            cue("3", send(number=3)),
        )
    )
    out = engine.handle(Go(), 0.0)
    assert CueSkipped(at=0.0, number="2") in out.events
    assert out.effects == []
    out = engine.advance(1.0)
    assert [e.params for e in out.effects] == [{"number": 3}]  # type: ignore[union-attr]
    assert engine.snapshot().cue_states["2"] is CueState.SKIPPED


def test_group_children_start_together_offset_by_their_pre_waits() -> None:
    group = cue(
        "5",
        children=(
            cue("5.1", send(number=51)),
            cue("5.2", level(2, 0, fade=2), pre=1.0),
            cue("5.3", send(number=53), pre=4.0),
        ),
        pre=0.5,
        cont="auto-follow",
    )
    engine = CueEngine(show(group, cue("6")))
    engine.handle(Go(), 0.0)
    assert engine.snapshot().running[0].ends_at == pytest.approx(4.5)
    out = engine.advance(0.5)
    assert [(n, t) for n, t in started(out.events)] == [
        ("5.1", Trigger.GROUP),
        ("5.2", Trigger.GROUP),
        ("5.3", Trigger.GROUP),
    ]
    assert [e.params for e in out.effects] == [{"number": 51}]  # type: ignore[union-attr]
    out = engine.advance(1.5)
    assert [type(e) for e in out.effects] == [StartFade]
    out = engine.advance(4.49)
    assert CueFinished(at=3.5, number="5.2") in out.events
    out = engine.advance(4.5)
    assert [e for e in out.events if isinstance(e, CueFinished)] == [
        CueFinished(at=4.5, number="5.3"),
        CueFinished(at=4.5, number="5"),
        CueFinished(at=4.5, number="6"),
    ]


def test_pause_and_resume_keep_the_remaining_wait() -> None:
    engine = CueEngine(show(cue("1", send(number=1), pre=4.0)))
    engine.handle(Go(), 0.0)
    engine.handle(Pause(), 1.0)
    assert engine.next_deadline() is None
    assert engine.snapshot(50.0).running[0].remaining == pytest.approx(3.0)
    assert engine.snapshot(50.0).cue_states["1"] is CueState.PAUSED
    engine.handle(Resume(), 50.0)
    assert engine.next_deadline() == pytest.approx(53.0)


def test_pause_freezes_a_fade_and_resume_resends_it_shifted() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0, fade=10))))
    fade = engine.handle(Go(), 0.0).effects[0]
    assert isinstance(fade, StartFade)
    out = engine.handle(Pause(number="1"), 5.0)
    assert out.effects == [
        SendAction(
            device="mixer",
            action="fader",
            params={"channel": 1, "level": -45.0},
            cue="1",
            fade_params=("level",),
        )
    ]
    out = engine.handle(Resume(number="1"), 20.0)
    resumed = out.effects[0]
    assert isinstance(resumed, StartFade)
    assert resumed.begin == 15.0
    assert resumed.values_at(20.0) == {"level": -45.0}
    assert resumed.values_at(25.0) == {"level": 0.0}
    assert engine.next_deadline() == 25.0


def test_resume_with_nothing_paused_is_reported() -> None:
    engine = CueEngine(show(cue("1", pre=3)))
    engine.handle(Go(), 0.0)
    out = engine.handle(Resume(), 1.0)
    assert [e.reason for e in out.events if isinstance(e, CommandIgnored)] == [
        IgnoredReason.NOT_PAUSED
    ]


def test_stop_one_cue_freezes_its_fades_and_cancels_its_continue() -> None:
    engine = CueEngine(
        show(cue("1", level(1, 0.0, fade=10), post=5, cont="auto-continue"), cue("2"))
    )
    engine.handle(Go(), 0.0)
    out = engine.handle(Stop(number="1", source="panel"), 2.5)
    assert out.effects[0].params == {"channel": 1, "level": -67.5}
    assert CueStopped(at=2.5, number="1", source="panel") in out.events
    assert engine.next_deadline() is None
    assert started(engine.advance(10.0).events) == []
    assert engine.snapshot().cue_states["1"] is CueState.STOPPED


def test_stop_all_with_nothing_running_is_reported() -> None:
    out = CueEngine(show(cue("1"))).handle(Stop(), 0.0)
    assert [e.reason for e in out.events if isinstance(e, CommandIgnored)] == [
        IgnoredReason.NOTHING_TO_DO
    ]


def test_stopping_a_child_lets_its_group_finish() -> None:
    group = cue("5", children=(cue("5.1", pre=1.0), cue("5.2", pre=9.0)))
    engine = CueEngine(show(group))
    engine.handle(Go(), 0.0)
    engine.advance(1.0)
    out = engine.handle(Stop(number="5.2"), 2.0)
    assert CueFinished(at=2.0, number="5") in out.events


def test_latest_action_on_a_target_takes_over_from_the_current_value() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0, fade=10)), cue("2", level(1, -20.0, fade=2))))
    engine.handle(Go(), 0.0)
    out = engine.handle(Go(), 5.0)
    fade = out.effects[0]
    assert isinstance(fade, StartFade)
    assert fade.start == {"level": -45.0}
    assert fade.end == {"level": -20.0}
    # pausing cue 1 no longer touches the target cue 2 owns
    assert engine.handle(Pause(number="1"), 6.0).effects == []


def test_control_actions_drive_other_cues() -> None:
    engine = CueEngine(
        show(
            cue("1", level(1, 0.0, fade=30)),
            cue("2", control("stop", "1"), control("start", "9")),
            cue("9", send(number=9)),
        )
    )
    engine.handle(Go(), 0.0)
    out = engine.handle(Go(), 1.0)
    assert CueStopped(at=1.0, number="1", source="cue 2") in out.events
    assert ("9", Trigger.START) in started(out.events)


def test_control_action_ignores_the_double_go_guard() -> None:
    engine = CueEngine(show(cue("1", control("start", "3")), cue("3"), min_go=5.0))
    assert ("3", Trigger.START) in started(engine.handle(Go(), 0.0).events)


def test_starting_an_armed_child_alone_runs_only_that_child() -> None:
    engine = CueEngine(show(cue("5", children=(cue("5.1", send(number=1)),)), cue("6")))
    out = engine.handle(StartCue(number="5.1"), 0.0)
    assert [e.params for e in out.effects] == [{"number": 1}]  # type: ignore[union-attr]
    assert engine.snapshot().lists[0].standby == "5"
