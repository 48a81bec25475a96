"""Panic, hard stop and reset."""

from __future__ import annotations

from builders import cue, level, position, show

from cuebridge.core.commands import Go, HardStop, Panic, Pause, Reset
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import AllStopped, PanicFinished, PanicStarted, StandbyChanged
from cuebridge.core.snapshot import CueState


def test_panic_fades_levels_home_then_stops_and_leaves_positions() -> None:
    engine = CueEngine(
        show(
            cue("1", level(1, 0.0), position("spot", 90.0, fade=10)),
            cue("2", pre=5),
            panic=2.0,
        )
    )
    engine.handle(Go(), 0.0)
    engine.handle(Go(), 1.0)
    out = engine.handle(Panic(source="panel"), 5.0)
    fades = [e for e in out.effects if isinstance(e, StartFade)]
    holds = [e for e in out.effects if isinstance(e, SendAction)]
    assert [(f.params["channel"], f.start, f.end, f.begin, f.duration) for f in fades] == [
        (1, {"level": 0.0}, {"level": -90.0}, 5.0, 2.0)
    ]
    assert [h.params for h in holds] == [{"fixture": "spot", "pan": 45.0}]
    assert PanicStarted(at=5.0, until=7.0, source="panel") in out.events
    assert engine.snapshot().running == ()
    assert engine.snapshot().cue_states["2"] is CueState.STOPPED
    assert engine.next_deadline() == 7.0
    assert engine.advance(7.0).events == [PanicFinished(at=7.0, cut=False)]
    assert engine.next_deadline() is None


def test_second_panic_during_the_fade_cuts_straight_home() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0)), panic=4.0))
    engine.handle(Go(), 0.0)
    engine.handle(Panic(), 1.0)
    out = engine.handle(Panic(), 2.0)
    assert out.effects == [
        SendAction(
            device="mixer",
            action="fader",
            params={"channel": 1, "level": -90.0},
            cue="panic",
            fade_params=("level",),
        )
    ]
    assert out.events == [PanicFinished(at=2.0, cut=True)]
    assert engine.next_deadline() is None


def test_panic_with_zero_time_cuts_at_once() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0)), panic=0.0))
    engine.handle(Go(), 0.0)
    out = engine.handle(Panic(), 1.0)
    assert [e.params["level"] for e in out.effects] == [-90.0]
    assert PanicFinished(at=1.0, cut=False) in out.events


def test_a_paused_fade_is_brought_home_by_panic_from_where_it_froze() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0, fade=10)), panic=1.0))
    engine.handle(Go(), 0.0)
    engine.handle(Pause(), 5.0)
    out = engine.handle(Panic(), 8.0)
    fade = out.effects[0]
    assert isinstance(fade, StartFade)
    assert fade.start == {"level": -45.0}


def test_hard_stop_freezes_every_fade_including_panic() -> None:
    engine = CueEngine(show(cue("1", level(1, 0.0)), panic=4.0))
    engine.handle(Go(), 0.0)
    engine.handle(Panic(), 1.0)
    out = engine.handle(HardStop(), 2.0)
    assert [e.params["level"] for e in out.effects] == [-22.5]
    assert out.events == [AllStopped(at=2.0, reset=False, source="")]
    assert engine.snapshot().panic_until is None
    assert engine.next_deadline() is None


def test_reset_stops_everything_and_stands_by_on_the_first_armed_cue() -> None:
    engine = CueEngine(
        show(cue("1", armed=False), cue("2"), cue("3", level(1, 0, fade=5)), min_go=1)
    )
    engine.handle(Go(), 0.0)
    engine.handle(Go(), 2.0)
    out = engine.handle(Reset(source="admin"), 3.0)
    assert StandbyChanged(at=3.0, cue_list="main", number="2") in out.events
    assert AllStopped(at=3.0, reset=True, source="admin") in out.events
    snap = engine.snapshot()
    assert snap.cue_states == {}
    assert snap.running == ()
    assert snap.go_locked_until is None
    assert snap.lists[0].standby == "2"
    assert snap.disarmed == frozenset({"1"})
