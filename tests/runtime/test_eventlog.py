"""Event log lines are logfmt: structured and readable."""

from __future__ import annotations

from cuebridge.core.events import CommandIgnored, CueStarted, IgnoredReason, StandbyChanged, Trigger
from cuebridge.runtime.eventlog import format_event


def test_cue_started_line_names_the_cue() -> None:
    event = CueStarted(at=12.5, number="1", cue_list="main", trigger=Trigger.GO, source="console")
    assert format_event(event, names={"1": "Walk-in music"}) == (
        'event=cue-started at=12.500 number=1 name="Walk-in music" cue_list=main trigger=go'
        " source=console"
    )


def test_ignored_command_line_says_why() -> None:
    event = CommandIgnored(
        at=1.0, command="Go", reason=IgnoredReason.LOCKED_OUT, detail='say "hi"', source="osc"
    )
    assert format_event(event) == (
        "event=command-ignored at=1.000 command=Go reason=locked-out"
        ' detail="say \\"hi\\"" source=osc'
    )


def test_end_of_list_standby_is_none() -> None:
    assert format_event(StandbyChanged(at=0.0, cue_list="main", number=None)) == (
        "event=standby-changed at=0.000 cue_list=main number=none"
    )
