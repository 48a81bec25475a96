"""The state object pushed over socket.io, built deterministically with a fake clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cuebridge.core.commands import Arm, Go, GoCue, Pause, Reset
from cuebridge.core.model import Action, ContinueMode, Cue, CueList, PlannedStart, Show
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.web.state import ShowClock, StateBuilder

FADE = Action(
    device="desk",
    action="fader",
    params={"channel": 1, "level": 0.0},
    fade=10.0,
    fade_params=("level",),
    home={"level": -90.0},
)


def plan(kind: str, h: int, m: int, s: int = 0) -> PlannedStart:
    return PlannedStart(kind=kind, seconds=h * 3600 + m * 60 + s)


def show() -> Show:
    cues = (
        Cue(number="1", name="Doors", planned_start=plan("time_of_day", 19, 30), actions=(FADE,)),
        Cue(
            number="2",
            name="Top",
            planned_start=plan("offset", 0, 5),
            children=(Cue(number="2.1", actions=(FADE,)), Cue(number="2.2", pre_wait=1.0)),
        ),
        Cue(number="3", name="Late", planned_start=plan("time_of_day", 23, 59)),
        Cue(number="4", continue_mode=ContinueMode.AUTO_FOLLOW),
    )
    return Show(title="Test", cue_lists=(CueList(id="main", name="Main", cues=cues),))


def local(year: int, month: int, day: int, hour: int, minute: int, second: int) -> float:
    return datetime(year, month, day, hour, minute, second).astimezone().timestamp()


def setup(wall_at_start: float) -> tuple[Daemon, FakeClock, StateBuilder]:
    clock = FakeClock(1000.0)
    daemon = Daemon(show(), {}, clock)
    show_clock = ShowClock()
    daemon.loop.add_listener(show_clock)
    builder = StateBuilder(daemon, show_clock, lambda profile: "osc", lambda: wall_at_start)
    return daemon, clock, builder


def cues(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cue["number"]: cue for cue in state["lists"][0]["cues"]}


def test_time_of_day_plans_give_how_far_behind_the_show_runs() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 19, 29, 0))
    assert builder.build()["schedule"] == {"delta": None}
    clock.advance(90.0)  # 19:30:30
    daemon.loop.step(Go(source="test"))
    state = builder.build()
    assert state["schedule"]["delta"] == 30.0
    assert state["show_clock"] == 0.0
    assert cues(state)["1"]["actual_start"].startswith("2024-05-01T19:30:30.000")
    assert state["wall_time"].startswith("2024-05-01T19:30:30.000")


def test_offset_plans_count_from_the_first_go_and_ahead_is_negative() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 19, 29, 0))
    daemon.loop.step(Go(source="test"))
    clock.advance(290.0)
    daemon.loop.step(Go(source="test"))  # cue 2, planned +00:05:00, fired at +00:04:50
    state = builder.build()
    assert state["schedule"]["delta"] == -10.0
    assert state["show_clock"] == 290.0
    assert cues(state)["2"]["planned_start"] == "+00:05:00"


def test_a_time_of_day_plan_just_before_midnight_is_not_a_day_off() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 23, 58, 0))
    clock.advance(180.0)  # 00:01:00 the next day
    daemon.loop.step(GoCue(number="3", source="test"))
    assert builder.build()["schedule"]["delta"] == 120.0


def test_cue_states_flatten_groups_and_show_disarmed_paused_and_standby() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 19, 0, 0))
    daemon.loop.step(Arm(number="3", armed=False, source="test"))
    daemon.loop.step(Go(source="test"))
    clock.advance(2.0)
    daemon.loop.step(Pause(number="1", source="test"))
    state = builder.build()
    by_number = cues(state)
    assert [(n, c["depth"], c["parent"]) for n, c in by_number.items()] == [
        ("1", 0, None),
        ("2", 0, None),
        ("2.1", 1, "2"),
        ("2.2", 1, "2"),
        ("3", 0, None),
        ("4", 0, None),
    ]
    assert by_number["1"]["state"] == "paused"
    assert by_number["2"]["state"] == "standby"
    assert by_number["3"]["armed"] is False
    assert by_number["2"]["duration"] == 10.0
    assert state["running"] == [
        {
            "list": "main",
            "number": "1",
            "name": "Doors",
            "state": "paused",
            "elapsed": 2.0,
            "remaining": 8.0,
            "progress": 0.2,
        }
    ]


def test_a_reset_restarts_the_show_clock() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 19, 0, 0))
    daemon.loop.step(Go(source="test"))
    clock.advance(5.0)
    assert builder.build()["show_clock"] == 5.0
    daemon.loop.step(Reset(source="test"))
    state = builder.build()
    assert state["show_clock"] is None
    assert cues(state)["1"]["state"] == "standby"


def test_go_lockout_and_panic_are_reported() -> None:
    daemon, clock, builder = setup(local(2024, 5, 1, 19, 0, 0))
    daemon.loop.step(Go(source="test"))
    clock.advance(0.1)
    state = builder.build()
    assert abs(state["go_locked_for"] - 0.2) < 1e-9
    assert state["panic"] is False
    clock.advance(1.0)
    assert builder.build()["go_locked_for"] == 0.0
