"""Unguarded GO-type commands (timecode) pass the double-GO guard and never arm it."""

from __future__ import annotations

from collections.abc import Sequence

from builders import cue, show

from cuebridge.core.commands import Go, GoCue, StartCue
from cuebridge.core.engine import CueEngine
from cuebridge.core.events import CommandIgnored, CueStarted, IgnoredReason


def ignored(events: Sequence[object]) -> list[IgnoredReason]:
    return [e.reason for e in events if isinstance(e, CommandIgnored)]


def started(events: Sequence[object]) -> list[str]:
    return [e.number for e in events if isinstance(e, CueStarted)]


def guarded_engine() -> CueEngine:
    return CueEngine(show(cue("1"), cue("2"), cue("3"), cue("4"), min_go=0.5))


def test_unguarded_cue_gos_in_a_burst_all_fire() -> None:
    engine = guarded_engine()
    fired: list[str] = []
    for number in ("1", "2", "3"):
        out = engine.handle(GoCue(number=number, source="mtc", guarded=False), 10.0)
        assert ignored(out.events) == []
        fired += started(out.events)
    assert fired == ["1", "2", "3"]
    assert engine.snapshot(10.0).go_locked_until is None


def test_unguarded_go_right_after_a_human_go_is_not_refused() -> None:
    engine = guarded_engine()
    assert started(engine.handle(Go(source="console"), 10.0).events) == ["1"]
    out = engine.handle(GoCue(number="3", source="mtc", guarded=False), 10.1)
    assert started(out.events) == ["3"]
    out = engine.handle(StartCue(number="4", source="mtc", guarded=False), 10.2)
    assert started(out.events) == ["4"]
    # the human GO's own lockout still stands against a human double press
    out = engine.handle(Go(source="console"), 10.3)
    assert ignored(out.events) == [IgnoredReason.LOCKED_OUT]


def test_human_go_right_after_a_timecode_go_fires_and_is_then_guarded() -> None:
    engine = guarded_engine()
    assert started(engine.handle(GoCue(number="1", source="mtc", guarded=False), 10.0).events)
    assert engine.snapshot(10.0).go_locked_until is None
    out = engine.handle(Go(source="console"), 10.05)
    assert started(out.events) == ["2"]
    assert engine.snapshot(10.05).go_locked_until == 10.55
    out = engine.handle(Go(source="console"), 10.1)  # the double press
    assert ignored(out.events) == [IgnoredReason.LOCKED_OUT]
    assert started(engine.handle(Go(source="console"), 10.6).events) == ["3"]


def test_unguarded_plain_go_passes_and_does_not_arm_the_guard() -> None:
    engine = guarded_engine()
    assert started(engine.handle(Go(guarded=False), 1.0).events) == ["1"]
    assert started(engine.handle(Go(guarded=False), 1.0).events) == ["2"]
    assert started(engine.handle(Go(), 1.1).events) == ["3"]
    assert ignored(engine.handle(Go(), 1.2).events) == [IgnoredReason.LOCKED_OUT]


def test_commands_are_guarded_unless_they_say_otherwise() -> None:
    assert Go().guarded
    assert GoCue(number="1").guarded
    assert StartCue(number="1").guarded
