"""The engine's side of hot reload and recovery: `replace_show` and `restore`, pure and timed."""

from __future__ import annotations

from cuebridge.core.commands import Arm, Go
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import ArmChanged, CueFinished, CueStarted, StandbyChanged
from cuebridge.core.model import Action, ContinueMode, Cue, CueList, Show, ShowSettings


def fader(level: float, fade: float = 0.0) -> Action:
    return Action(
        device="desk",
        action="fader",
        params={"channel": 1, "level": level},
        fade=fade,
        fade_params=("level",),
        home={"level": -90.0},
        panic_params=("level",),
    )


def scene(n: int) -> Action:
    return Action(device="desk", action="scene", params={"n": n})


def make_show(*cues: Cue, lists: tuple[CueList, ...] = ()) -> Show:
    main = CueList(id="main", name="Main", cues=cues)
    return Show(title="t", cue_lists=(main, *lists), settings=ShowSettings(min_go_interval=0.0))


def numbered(*numbers: str) -> tuple[Cue, ...]:
    return tuple(Cue(number=n, actions=(scene(int(float(n) * 10)),)) for n in numbers)


def standby(engine: CueEngine, list_id: str = "main") -> str | None:
    return next(item.standby for item in engine.snapshot().lists if item.id == list_id)


def test_standby_is_kept_by_number_when_cues_are_inserted_before_it() -> None:
    engine = CueEngine(make_show(*numbered("1", "2", "3")))
    engine.handle(Go(), 0.0)
    engine.handle(Go(), 1.0)
    assert standby(engine) == "3"
    out = engine.replace_show(make_show(*numbered("1", "1.5", "2", "2.5", "3")), 2.0)
    assert standby(engine) == "3"
    assert out.events == []
    assert out.effects == []
    started = engine.handle(Go(), 3.0).events
    assert [e.number for e in started if isinstance(e, CueStarted)] == ["3"]


def test_a_removed_standby_moves_to_the_next_cue_by_number() -> None:
    engine = CueEngine(make_show(*numbered("1", "2", "3", "4")))
    engine.handle(Go(), 0.0)
    engine.handle(Go(), 1.0)
    out = engine.replace_show(make_show(*numbered("1", "2", "4", "3.5")), 2.0)
    assert standby(engine) == "3.5"  # by number order, not file order
    assert out.events == [StandbyChanged(at=2.0, cue_list="main", number="3.5")]
    engine.replace_show(make_show(*numbered("1", "2")), 2.5)
    assert standby(engine) is None  # nothing after it: end of list


def test_a_running_cue_finishes_as_it_was_and_follows_into_the_new_show() -> None:
    old = make_show(
        Cue(number="1", actions=(fader(0.0, fade=2.0),), continue_mode=ContinueMode.AUTO_FOLLOW),
        Cue(number="2", actions=(scene(2),)),
    )
    engine = CueEngine(old)
    fade = engine.handle(Go(), 0.0).effects[0]
    assert isinstance(fade, StartFade)
    assert fade.duration == 2.0
    new = make_show(
        Cue(number="1", actions=(fader(0.0, fade=10.0),), continue_mode=ContinueMode.NONE),
        Cue(number="2", actions=(scene(22),)),
    )
    engine.replace_show(new, 1.0)
    assert engine.next_deadline() == 2.0  # the old timing, not the edited 10 s
    out = engine.advance(2.0)
    assert [e.number for e in out.events if isinstance(e, CueFinished)] == ["1", "2"]
    follow = [e for e in out.events if isinstance(e, CueStarted)]
    assert [e.number for e in follow] == ["2"]
    assert out.effects == [SendAction(device="desk", action="scene", params={"n": 22}, cue="2")]


def test_a_running_cue_the_edit_removed_follows_to_the_next_number() -> None:
    old = make_show(
        Cue(number="1", actions=(fader(0.0, fade=1.0),), continue_mode=ContinueMode.AUTO_FOLLOW),
        *numbered("2", "3"),
    )
    engine = CueEngine(old)
    engine.handle(Go(), 0.0)
    engine.replace_show(make_show(*numbered("1.5", "3")), 0.5)
    out = engine.advance(1.0)
    assert [e.number for e in out.events if isinstance(e, CueFinished)] == ["1", "1.5"]
    assert [e.number for e in out.events if isinstance(e, CueStarted)] == ["1.5"]


def test_a_running_group_keeps_its_children_even_when_the_edit_dropped_them() -> None:
    kids = (
        Cue(number="1.1", actions=(scene(11),)),
        Cue(number="1.2", actions=(fader(-10.0, fade=1.0),), pre_wait=0.5),
    )
    engine = CueEngine(make_show(Cue(number="1", children=kids, pre_wait=0.2), *numbered("2")))
    engine.handle(Go(), 0.0)
    engine.replace_show(make_show(*numbered("1", "2")), 0.1)
    out = engine.advance(5.0)
    started = [e.number for e in out.events if isinstance(e, CueStarted)]
    finished = [e.number for e in out.events if isinstance(e, CueFinished)]
    assert started == ["1.1", "1.2"]
    assert set(finished) == {"1", "1.1", "1.2"}
    assert engine.snapshot(5.0).running == ()


def test_operator_disarms_survive_unless_the_file_changed_that_cue() -> None:
    engine = CueEngine(make_show(*numbered("1", "2", "3")))
    engine.handle(Arm(number="2", armed=False), 0.0)
    engine.handle(Arm(number="3", armed=False), 0.0)
    edited = make_show(*numbered("1", "2"), Cue(number="3", armed=False, actions=(scene(3),)))
    engine.replace_show(edited, 1.0)
    assert engine.snapshot().disarmed == {"2", "3"}
    armed_in_file = make_show(*numbered("1", "2", "3"))
    engine.replace_show(armed_in_file, 2.0)  # the file now says armed where it said disarmed
    assert engine.snapshot().disarmed == {"2"}


def test_new_lists_stand_by_on_their_first_cue_and_settings_apply() -> None:
    engine = CueEngine(make_show(*numbered("1", "2")))
    sound = CueList(id="sound", name="Sound", cues=numbered("101", "102"))
    edited = Show(
        title="t",
        cue_lists=(CueList(id="main", name="Main", cues=numbered("1", "2")), sound),
        settings=ShowSettings(min_go_interval=5.0),
    )
    out = engine.replace_show(edited, 1.0)
    assert StandbyChanged(at=1.0, cue_list="sound", number="101") in out.events
    assert standby(engine, "sound") == "101"
    engine.handle(Go(), 2.0)
    locked = engine.handle(Go(), 3.0).events
    assert not [e for e in locked if isinstance(e, CueStarted)]  # the new 5 s GO guard


def test_restore_puts_the_playhead_back_and_fires_nothing() -> None:
    kids = (Cue(number="2.1", actions=(scene(21),)),)
    lists = (CueList(id="sound", name="Sound", cues=numbered("101", "102")),)
    show = make_show(
        *numbered("1"), Cue(number="2", children=kids), *numbered("3", "5"), lists=lists
    )
    engine = CueEngine(show)
    out = engine.restore({"main": "4", "sound": "102", "gone": "9"}, ["5", "77"], 10.0)
    assert out.effects == []
    assert not [e for e in out.events if isinstance(e, CueStarted)]
    assert ArmChanged(at=10.0, number="5", armed=False, source="recovery") in out.events
    # 4 is gone and 5 is disarmed: the next armed cue by number is... none.
    assert standby(engine) is None
    assert standby(engine, "sound") == "102"
    engine.restore({"main": "2.1"}, [], 11.0)  # inside a group: the next top-level is 3
    assert standby(engine) == "3"
    engine.restore({"main": "not-a-number"}, [], 12.0)
    assert standby(engine) is None
    assert engine.next_deadline() is None
