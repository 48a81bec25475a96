"""The terminal console: parsing, and a bad line never breaks it."""

from __future__ import annotations

import asyncio
import io

import pytest

from cuebridge.control.console import Console, describe_snapshot
from cuebridge.control.console_commands import parse_console_line
from cuebridge.core.commands import Command, Go, GoCue, Panic, Stop
from cuebridge.core.engine import CueEngine
from cuebridge.core.model import Cue, CueList, Show


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", Go(source="console")),
        ("go", Go(source="console")),
        ("GO 12.5", GoCue(number="12.5", source="console")),
        ("stop", Stop(source="console")),
        ("stop 3", Stop(number="3", source="console")),
        ("panic", Panic(source="console")),
    ],
)
def test_parse(line: str, expected: Command) -> None:
    assert parse_console_line(line) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("go x", "'x' is not a cue number (digits and dots, like 12 or 3.5)"),
        ("fly", "unknown command 'fly': type 'help'"),
        ("load", "'load' takes a cue number"),
        ("stop 1 2", "'stop' takes at most one cue number"),
    ],
)
def test_parse_errors(line: str, message: str) -> None:
    assert parse_console_line(line) == message


async def test_console_reads_lines_until_end_of_input() -> None:
    show = Show(title="t", cue_lists=(CueList(id="main", name="Main", cues=(Cue(number="1"),)),))
    engine = CueEngine(show)
    submitted: list[Command] = []
    stops: list[bool] = []
    out = io.StringIO()

    def submit(command: Command) -> bool:
        submitted.append(command)
        return True

    console = Console(submit, lambda: engine.snapshot(), lambda: stops.append(True), out=out)
    reader = asyncio.StreamReader()
    reader.feed_data(b"\n\xff\xfe garbage\nstatus\ngo 1\nquit\nstop")
    reader.feed_eof()
    async with asyncio.timeout(2):
        await console.run(reader)
    assert submitted == [
        Go(source="console"),
        GoCue(number="1", source="console"),
        Stop(source="console"),
    ]
    assert stops == [True]
    assert "unknown command" in out.getvalue()
    assert "list main: standby 1" in out.getvalue()
    assert describe_snapshot(engine.snapshot()).endswith("nothing running")
