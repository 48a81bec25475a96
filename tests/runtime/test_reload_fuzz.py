"""Fuzzing hot reload: any show document swapped in mid-show is applied or rejected, no crash.

`tests/config/test_show_examples.py` fuzzes the loader with random and mutated documents;
this extends it through the reload path: documents shaped like real shows (so most get past
the schema into checking and building), loaded while an engine is mid-fade with cues
running, then played on. Every outcome is either a new show with a sane standby or a
rejection whose every line is located; the engine keeps running either way.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_persist import FakeDmx

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show
from cuebridge.core.commands import Go, Pause, StandbyNext
from cuebridge.runtime.clock import FakeClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.reload import ShowReloader

REPO = Path(__file__).resolve().parents[2]
CATALOG = ProfileCatalog.load([REPO / "profiles"])
NUMBERS = ["1", "2", "2.5", "3", "4", "10", "12"]
CONTINUES = ["none", "auto-continue", "auto-follow"]
CURVES = ["linear", "s-curve", "exponential", "logarithmic"]
WRONG = [None, True, -1, 10**30, float("nan"), "soon", "x1", "1:75", [], [1], {}, {"x": 1}]


@st.composite
def actions(draw: st.DrawFn, targets: list[str]) -> dict[str, Any]:
    if draw(st.integers(0, 5)) == 0:
        verb = draw(st.sampled_from(["start", "stop", "load", "arm", "disarm"]))
        return {"device": "show", "action": verb, "params": {"cue": draw(st.sampled_from(targets))}}
    params = {
        "universe": draw(st.integers(1, 3)),
        "address": draw(st.integers(1, 512)),
        "level": draw(st.floats(0, 100)),
    }
    action: dict[str, Any] = {"device": "lx", "action": "level", "params": params}
    if draw(st.booleans()):
        action["fade"] = draw(st.floats(0, 2))
        action["curve"] = draw(st.sampled_from(CURVES))
    return action


@st.composite
def cue(draw: st.DrawFn, number: str, targets: list[str], child: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"number": number}
    if draw(st.booleans()):
        found["pre_wait"] = draw(st.floats(0, 1))
    if draw(st.booleans()):
        found["post_wait"] = draw(st.floats(0, 1))
    if not child and draw(st.booleans()):
        found["continue"] = draw(st.sampled_from(CONTINUES))
    if draw(st.integers(0, 4)) == 0:
        found["armed"] = draw(st.booleans())
    if not child and draw(st.integers(0, 3)) == 0:
        count = draw(st.integers(1, 2))
        found["children"] = [
            draw(cue(f"{number}.{n + 1}", targets, child=True)) for n in range(count)
        ]
    else:
        found["actions"] = draw(st.lists(actions(targets), min_size=1, max_size=2))
    return found


def paths(node: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a plain-data tree."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def show_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid show shaped like a real one, then, half of the time, one or two flaws."""
    numbers = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=6, unique=True))
    split = draw(st.integers(1, len(numbers)))
    groups = [numbers[:split], numbers[split:]] if split < len(numbers) else [numbers]
    lists = [
        {"id": f"list{n}", "name": f"List {n}", "cues": [draw(cue(x, numbers)) for x in group]}
        for n, group in enumerate(groups)
    ]
    document: dict[str, Any] = {
        "version": 1,
        "show": {"title": "Fuzz"},
        "settings": {"min_go_interval": 0, "panic_time": draw(st.floats(0, 2))},
        "devices": {"lx": {"profile": "generic-sacn", "host": "127.0.0.1", "port": 5568}},
        "cue_lists": lists,
    }
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        path = draw(st.sampled_from(paths(document)))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(st.sampled_from(WRONG))
    return document


BASE: dict[str, Any] = {
    "version": 1,
    "show": {"title": "Base"},
    "settings": {"min_go_interval": 0},
    "devices": {"lx": {"profile": "generic-sacn", "host": "127.0.0.1", "port": 5568}},
    "cue_lists": [
        {
            "id": "list0",
            "cues": [
                {
                    "number": str(n),
                    "continue": "auto-follow" if n % 2 else "none",
                    "actions": [
                        {
                            "device": "lx",
                            "action": "level",
                            "params": {"universe": 1, "address": n, "level": 10.0 * n},
                            "fade": 1.0,
                        }
                    ],
                }
                for n in range(1, 6)
            ],
        }
    ],
}
LOCATED = re.compile(r"^.+:\d+:\d+: \S")


@pytest.fixture
def show_path(tmp_path: Path) -> Path:
    return tmp_path / "show.yaml"


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=show_documents(), steps=st.lists(st.sampled_from(["go", "wait", "next", "pause"])))
def test_any_document_reloaded_mid_show_is_applied_or_rejected_with_located_errors(
    show_path: Path, document: dict[str, Any], steps: list[str]
) -> None:
    show_path.write_text(yaml.safe_dump(BASE), encoding="utf-8")
    clock = FakeClock()
    daemon = Daemon(load_show(show_path, CATALOG), {"lx": FakeDmx()}, clock)
    reloader = ShowReloader(show_path, CATALOG)
    reloader.prepare(daemon)
    play(daemon, clock, steps)
    show_path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = asyncio.run(reloader.reload())
    if result.ok:
        assert daemon.show.title == "Fuzz"
        for state, cue_list in zip(
            daemon.loop.snapshot().lists, daemon.show.cue_lists, strict=True
        ):
            top_level = {cue.number for cue in cue_list.cues}
            assert state.standby is None or state.standby in top_level
    else:
        assert daemon.show.title == "Base"
        problems = result.message.splitlines()[1:]
        assert problems
        assert all(LOCATED.match(line) for line in problems), problems
        assert "Traceback" not in result.message
    play(daemon, clock, [*steps, "go", "wait", "go"])
    clock.advance(1e4)
    daemon.loop.step(None)  # every old instance still finishes without a key error


def play(daemon: Daemon, clock: FakeClock, steps: list[str]) -> None:
    commands = {"go": Go(source="fuzz"), "next": StandbyNext(source="fuzz")}
    for step in steps:
        if step == "wait":
            clock.advance(0.4)
            daemon.loop.step(None)
        elif step == "pause":
            daemon.loop.step(Pause(source="fuzz"))
        else:
            daemon.loop.step(commands[step])
