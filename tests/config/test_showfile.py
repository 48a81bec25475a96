"""Show files: resolution into core.model.Show, located problems, versions and migrations."""

from __future__ import annotations

import gc
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from cuebridge.config import migrations
from cuebridge.config.generate import generate_show_text
from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show, load_show_text, show_json_schema
from cuebridge.core.curves import Curve
from cuebridge.core.model import Action, ContinueMode, Cue, PlannedStart, Show
from cuebridge.errors import ShowError

REPO = Path(__file__).resolve().parents[2]

HEADER = """\
version: 1
show:
  title: Test
devices:
  foh:
    profile: behringer-x32
    host: 127.0.0.1
    port: 10023
  lx:
    profile: generic-sacn
    panic: false
cue_lists:
  - id: main
    cues:
"""
"""A show whose cues start on line 16 at column 7; tests append cues below it."""


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


@pytest.fixture
def load(catalog: ProfileCatalog) -> Callable[[str], Show]:
    def load(cues: str) -> Show:
        return load_show_text(
            HEADER + textwrap.indent(textwrap.dedent(cues), " " * 6), "t.yaml", catalog
        )

    return load


@pytest.fixture
def problems(catalog: ProfileCatalog) -> Callable[[str], list[str]]:
    """Problems of a whole show text, as the user reads them."""

    def problems(text: str) -> list[str]:
        with pytest.raises(ShowError) as caught:
            load_show_text(textwrap.dedent(text), "t.yaml", catalog)
        for problem in caught.value.problems:
            assert problem.line >= 1
            assert problem.column >= 1
        return [str(problem) for problem in caught.value.problems]

    return problems


@pytest.fixture
def cue_problems(problems: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """Problems of cues appended to HEADER."""

    def cue_problems(cues: str) -> list[str]:
        return problems(HEADER + textwrap.indent(textwrap.dedent(cues), " " * 6))

    return cue_problems


def test_resolves_the_format_example(load: Callable[[str], Show]) -> None:
    show = load(
        """
        - number: "2"
          name: Second
        - number: 1.10
          name: House to half
          notes: Wait for the SM's standby call
          colour: blue
          pre_wait: "1:02.5"
          post_wait: 2
          continue: auto-continue
          armed: false
          planned_start: "19:30:00"
          planned_duration: 90
          actions:
            - device: foh
              action: fader
              params: {channel: 1, level: -10}
              fade: 3
              curve: s-curve
        - number: "1.5"
          children:
            - number: "1.5.2"
              actions: [{device: lx, action: level, params: {universe: 1, address: 5, level: 50}}]
            - number: "1.5.1"
              pre_wait: 0:30
              actions: [{device: show, action: stop, params: {cue: "02"}}]
        """
    )
    cues = show.cue_lists[0].cues
    assert [cue.number for cue in cues] == ["1.5", "1.10", "2"]
    assert cues[1] == Cue(
        number="1.10",
        name="House to half",
        notes="Wait for the SM's standby call",
        colour="blue",
        pre_wait=62.5,
        post_wait=2.0,
        continue_mode=ContinueMode.AUTO_CONTINUE,
        armed=False,
        planned_start=PlannedStart(kind="time_of_day", seconds=70200.0),
        planned_duration=90.0,
        actions=(
            Action(
                device="foh",
                action="fader",
                params={"channel": 1, "level": -10.0},
                fade=3.0,
                curve=Curve.S_CURVE,
                fade_params=("level",),
                home={"level": -90.0},
                panic_params=("level",),
            ),
        ),
    )
    group = cues[0]
    assert [child.number for child in group.children] == ["1.5.2", "1.5.1"]
    lx_action = group.children[0].actions[0]
    assert lx_action.fade_params == ("level",)
    assert lx_action.panic_params == ()  # the lx device has panic: false
    assert group.children[1].pre_wait == 30.0
    # A reference uses the referenced cue's number as written there.
    assert group.children[1].actions[0].params == {"cue": "2"}


def test_devices_settings_and_metadata(catalog: ProfileCatalog) -> None:
    show = load_show_text(
        textwrap.dedent(
            """\
            version: 1
            show: {title: T, venue: Hall, date: 2025-03-01, author: Me}
            settings: {min_go_interval: 0, panic_time: "0:05"}
            devices:
              media:
                profile: resolume-arena
                port: 7010
                transport: tcp-slip
                options: {fade_rate: 60}
              lx: {profile: generic-sacn, host: 127.0.0.1, options: {priority: 150}}
            cue_lists:
              - {id: a, name: A, cues: [{number: 1}]}
              - {id: b, cues: [{number: 2}]}
            """
        ),
        "memory.yaml",
        catalog,
    )
    assert show.title == "T"
    assert show.source == "memory.yaml"
    assert show.metadata == {"venue": "Hall", "date": "2025-03-01", "author": "Me"}
    assert (show.settings.min_go_interval, show.settings.panic_time) == (0.0, 5.0)
    assert dict(show.devices["media"].connection) == {
        "host": "127.0.0.1",
        "port": 7010,
        "transport": "tcp-slip",
        "fade_rate": 60,
    }
    assert dict(show.devices["lx"].connection) == {
        "host": "127.0.0.1",
        "port": 5568,
        "transport": "udp",
        "priority": 150,
    }
    assert show.devices["show"].profile == "cuebridge"
    assert [(cue_list.id, cue_list.name) for cue_list in show.cue_lists] == [("a", "A"), ("b", "b")]


def test_defaults_fill_params_and_planned_offsets(load: Callable[[str], Show]) -> None:
    show = load(
        """
        - number: "1"
          planned_start: "+1:05:00"
          actions: [{device: foh, action: mute, params: {channel: 2}}]
        """
    )
    cue = show.cue_lists[0].cues[0]
    assert cue.planned_start == PlannedStart(kind="offset", seconds=3900.0)
    assert cue.actions[0].params == {"channel": 2, "muted": True}
    assert cue.actions[0].key == ("foh", "mute", (("channel", 2), ("muted", True)))


HEADER_LINES = HEADER.count("\n")


@pytest.mark.parametrize(
    ("cues", "expected"),
    [
        pytest.param(
            "- {number: '1', pre_wait: -2}",
            'cue_lists[0].cues[0].pre_wait: expected a number of seconds >= 0 or "MM:SS", got -2',
            id="negative-time",
        ),
        pytest.param(
            "- {number: '1', post_wait: '1:75'}",
            'cue_lists[0].cues[0].post_wait: expected a number of seconds >= 0 or "MM:SS", '
            'got "1:75"',
            id="bad-time-string",
        ),
        pytest.param(
            "- {number: '1', planned_start: '25:00'}",
            'cue_lists[0].cues[0].planned_start: expected a time of day "HH:MM[:SS]" or an '
            'offset from the first GO "+MM:SS", got "25:00"',
            id="bad-planned-start",
        ),
        pytest.param(
            "- {number: 1a}",
            'cue_lists[0].cues[0].number: expected a cue number of digits and dots, such as "1" '
            'or "2.5", got "1a"',
            id="invalid-cue-number",
        ),
        pytest.param(
            "- {number: '1', colr: red}",
            'cue_lists[0].cues[0].colr: unknown field "colr" (did you mean "colour"?)',
            id="unknown-field",
        ),
        pytest.param(
            "- {number: '1', colour: pink}",
            "cue_lists[0].cues[0].colour: expected red, orange, yellow, green, blue, purple, grey "
            'or "#rrggbb", got "pink"',
            id="bad-colour",
        ),
        pytest.param(
            "- {number: '1', continue: auto-folow}",
            "cue_lists[0].cues[0].continue: expected none, auto-continue or auto-follow, got "
            '"auto-folow" (did you mean "auto-follow"?)',
            id="bad-choice",
        ),
        pytest.param(
            "- {number: '1', armed: 1}",
            "cue_lists[0].cues[0].armed: expected true or false, got 1",
            id="int-for-bool",
        ),
        pytest.param(
            "- {name: x}",
            'cue_lists[0].cues[0]: missing required field "number"',
            id="missing-field",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: fohh, action: fader}]}",
            'cue_lists[0].cues[0].actions[0].device: unknown device "fohh" (did you mean "foh"?)',
            id="unknown-device",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: sound, action: go}]}",
            'cue_lists[0].cues[0].actions[0].device: unknown device "sound" (expected one of: '
            "foh, lx, show)",
            id="unknown-device-listed",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: lx, action: levels}]}",
            'cue_lists[0].cues[0].actions[0].action: unknown action "levels" for generic-sacn '
            '(did you mean "level"?)',
            id="unknown-action",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {chan: 1}}]}",
            'cue_lists[0].cues[0].actions[0].params: missing required parameter "channel" for '
            "action mute\n"
            'cue_lists[0].cues[0].actions[0].params.chan: unknown parameter "chan" for action '
            'mute (did you mean "channel"?)',
            id="unknown-param",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {}}]}",
            'cue_lists[0].cues[0].actions[0].params: missing required parameter "channel" for '
            "action mute",
            id="missing-param",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: fader, "
            "params: {channel: 1, level: 20}}]}",
            "cue_lists[0].cues[0].actions[0].params.level: expected a number from -90 to 10 dB, "
            "got 20",
            id="param-range",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {channel: true}}]}",
            "cue_lists[0].cues[0].actions[0].params.channel: expected a whole number from 1 to "
            "32, got true",
            id="bool-for-int",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {channel: 2.0}}]}",
            "cue_lists[0].cues[0].actions[0].params.channel: expected a whole number from 1 to "
            "32, got 2.0",
            id="float-for-int",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {channel: [1]}}]}",
            "cue_lists[0].cues[0].actions[0].params.channel: expected a number, a string or "
            "true/false, got a list",
            id="list-param",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: foh, action: mute, params: {channel: 1}, "
            "fade: 2}]}",
            'cue_lists[0].cues[0].actions[0].fade: expected 0 (action "mute" has no parameter '
            "that fades), got 2",
            id="fade-without-fadeable",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: show, action: start, params: {cue: '7'}}]}",
            'cue_lists[0].cues[0].actions[0].params.cue: no cue numbered "7" in this show '
            "(expected one of: 1)",
            id="missing-cue-reference",
        ),
        pytest.param(
            "- {number: '1', actions: [{device: show, action: stop, params: {cue: '1'}}]}",
            "cue_lists[0].cues[0].actions[0].params.cue: expected the number of another cue, "
            'got this cue\'s own number "1"',
            id="self-reference",
        ),
        pytest.param(
            "- {number: '1', children: [{number: '1.1', continue: auto-follow}]}",
            "cue_lists[0].cues[0].children[0].continue: expected no continue on a child cue "
            '(children start with their group, each after its own pre_wait), got "auto-follow"',
            id="child-continue",
        ),
        pytest.param(
            "- {number: '1', actions: {device: foh}}",
            "cue_lists[0].cues[0].actions: expected a list, got a mapping",
            id="mapping-for-list",
        ),
    ],
)
def test_single_problem_messages(
    cue_problems: Callable[[str], list[str]], cues: str, expected: str
) -> None:
    found = cue_problems(cues)
    assert [problem.split(": ", 1)[1] for problem in found] == expected.split("\n")
    assert found[0].startswith(f"t.yaml:{HEADER_LINES + 1}:")


def test_problem_positions_and_every_problem_listed(
    cue_problems: Callable[[str], list[str]],
) -> None:
    found = cue_problems(
        """
        - number: "1"
          pre_wait: -2
          actions:
            - device: foh
              action: fader
              params: {channel: 0, level: -10, lvl: 3}
              fade: 3
              curve: smooth
        - number: "01"
          name: duplicate
        - number: "1.0"
          colr: red
        """
    )
    assert found == [
        "t.yaml:17:19: cue_lists[0].cues[0].pre_wait: expected a number of seconds >= 0 or "
        '"MM:SS", got -2',
        "t.yaml:21:31: cue_lists[0].cues[0].actions[0].params.channel: expected a whole number "
        "from 1 to 32, got 0",
        't.yaml:21:46: cue_lists[0].cues[0].actions[0].params.lvl: unknown parameter "lvl" for '
        'action fader (did you mean "level"?)',
        "t.yaml:23:20: cue_lists[0].cues[0].actions[0].curve: expected linear, s-curve, "
        'exponential or logarithmic, got "smooth"',
        't.yaml:24:17: cue_lists[0].cues[1].number: duplicate cue number "01": cue "1" is '
        "already defined at line 16",
        't.yaml:26:17: cue_lists[0].cues[2].number: duplicate cue number "1.0": cue "1" is '
        "already defined at line 16",
        't.yaml:27:9: cue_lists[0].cues[2].colr: unknown field "colr" (did you mean "colour"?)',
    ]


def test_document_level_problems(problems: Callable[[str], list[str]]) -> None:
    assert problems(
        """\
        version: 1
        show: {titel: x}
        devices:
          show: {profile: qlab5}
          Desk: {profile: x32, port: 0}
          eos: {profile: cuebridge}
          q: {profile: qlab5, transport: tcp-len, options: {host: 127.0.0.1}}
        cue_lists:
          - {id: main, cues: [{number: "1"}]}
          - {id: main, cues: []}
        """
    ) == [
        't.yaml:2:7: show: missing required field "title"',
        't.yaml:2:8: show.titel: unknown field "titel" (did you mean "title"?)',
        't.yaml:4:3: devices.show: device name "show" is reserved for show control; choose '
        "another name",
        't.yaml:5:3: devices.Desk: expected a device name of lowercase letters, digits, "-" or '
        '"_", starting with a letter, got "Desk"',
        't.yaml:5:19: devices.Desk.profile: unknown profile "x32" (did you mean "behringer-x32"?)',
        "t.yaml:5:30: devices.Desk.port: expected a port number from 1 to 65535, got 0",
        't.yaml:6:18: devices.eos.profile: expected a device profile, got "cuebridge" (a '
        'built-in control profile, used by the reserved device "show")',
        't.yaml:7:53: devices.q.options.host: expected no "host" in options (set host on the '
        "device itself)",
        't.yaml:10:10: cue_lists[1].id: duplicate cue list id "main" (first defined at line 9)',
        "t.yaml:10:22: cue_lists[1].cues: expected at least 1 item, got an empty list",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "version: 2\nshow: {title: x}\ncue_lists: []\n",
            [
                "t.yaml:1:10: version: format version 2 is newer than this cuebridge reads (1); "
                "upgrade cuebridge"
            ],
            id="future-version",
        ),
        pytest.param(
            "show: {title: x}\ncue_lists: [{id: a, cues: [{number: '1'}]}]\n",
            ['t.yaml:1:1: missing required field "version" (expected 1)'],
            id="missing-version",
        ),
        pytest.param(
            "version: one\nshow: {title: x}\ncue_lists: [{id: a, cues: [{number: '1'}]}]\n",
            ['t.yaml:1:10: version: expected a format version such as 1, got "one"'],
            id="bad-version",
        ),
        pytest.param(
            "version: 1\nshow: {title: [x\n",
            ["t.yaml:3:1: invalid YAML: did not find expected ',' or ']'"],
            id="yaml-syntax",
        ),
        pytest.param(
            "",
            ["t.yaml:1:1: expected a mapping with version, show, devices and cue_lists, got null"],
            id="empty",
        ),
        pytest.param(
            "version: 1\nversion: 1\nshow: {title: x}\ncue_lists: [{id: a, cues: [{number: 1}]}]\n",
            ['t.yaml:2:1: version: duplicate key "version" (first defined at line 1)'],
            id="duplicate-key",
        ),
    ],
)
def test_version_and_document_problems(
    problems: Callable[[str], list[str]], text: str, expected: list[str]
) -> None:
    assert problems(text) == expected


def test_load_show_reads_files(tmp_path: Path, catalog: ProfileCatalog) -> None:
    path = tmp_path / "show.yaml"
    path.write_text("version: 1\nshow: {title: File}\ncue_lists: [{id: a, cues: [{number: 1}]}]\n")
    assert load_show(path, catalog).source == str(path)
    assert load_show(str(path)).title == "File"  # the default catalog
    with pytest.raises(ShowError) as caught:
        load_show(tmp_path / "nope.yaml", catalog)
    assert (
        str(caught.value)
        == f"{tmp_path}/nope.yaml:1:1: cannot read file: No such file or directory"
    )


def test_migrations_run_in_order_before_validation(
    monkeypatch: pytest.MonkeyPatch, catalog: ProfileCatalog
) -> None:
    calls: list[int] = []

    def title_moved_into_show(data: dict[object, object]) -> dict[object, object]:
        calls.append(1)
        rest = {key: value for key, value in data.items() if key != "title"}
        return {**rest, "show": {"title": data["title"]}}

    def rename_lists(data: dict[object, object]) -> dict[object, object]:
        calls.append(2)
        rest = {key: value for key, value in data.items() if key != "lists"}
        return {**rest, "cue_lists": data["lists"]}

    monkeypatch.setattr(migrations, "CURRENT_VERSION", 3)
    monkeypatch.setattr(migrations, "MIGRATIONS", {1: title_moved_into_show, 2: rename_lists})
    old = "version: 1\ntitle: Old\nlists: [{id: a, cues: [{number: 1, pre_wait: -1}]}]\n"
    with pytest.raises(ShowError) as caught:
        load_show_text(old, "old.yaml", catalog)
    # Problems after a migration are located in the original text where the path survives.
    assert [str(problem) for problem in caught.value.problems] == [
        "old.yaml:1:1: cue_lists[0].cues[0].pre_wait: expected a number of seconds >= 0 or "
        '"MM:SS", got -1'
    ]
    assert calls == [1, 2]
    show = load_show_text(old.replace("-1", "1"), "old.yaml", catalog)
    assert show.title == "Old"
    assert calls == [1, 2, 1, 2]
    current = "version: 3\nshow: {title: New}\ncue_lists: [{id: a, cues: [{number: 1}]}]\n"
    assert load_show_text(current, "new.yaml", catalog).title == "New"
    assert calls == [1, 2, 1, 2]


def test_failing_or_missing_migration_is_a_problem(
    monkeypatch: pytest.MonkeyPatch, catalog: ProfileCatalog
) -> None:
    def broken(data: dict[object, object]) -> dict[object, object]:
        raise KeyError("title")

    monkeypatch.setattr(migrations, "CURRENT_VERSION", 3)
    monkeypatch.setattr(migrations, "MIGRATIONS", {1: broken})
    text = "version: 1\nshow: {title: x}\ncue_lists: [{id: a, cues: [{number: 1}]}]\n"
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "m.yaml", catalog)
    assert str(caught.value) == (
        "m.yaml:1:10: version: cannot upgrade from format version 1: \"'title'\""
    )
    with pytest.raises(ShowError) as caught:
        load_show_text(text.replace("version: 1", "version: 2"), "m.yaml", catalog)
    assert str(caught.value) == (
        "m.yaml:1:10: version: cannot read format version 2: no upgrade to 3"
    )


def test_json_schema() -> None:
    schema = show_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["version", "show", "cue_lists"]
    assert schema["additionalProperties"] is False
    cue = schema["$defs"]["CueFile"]
    assert "continue" in cue["properties"]
    assert cue["properties"]["children"]["anyOf"][0]["items"] == {"$ref": "#/$defs/CueFile"}


def test_generated_show_has_the_requested_cues(catalog: ProfileCatalog) -> None:
    assert gc.isenabled()
    for count in (1, 7, 500):
        show = load_show_text(generate_show_text(count), "generated.yaml", catalog)

        def total(cues: tuple[Cue, ...]) -> int:
            return sum(1 + total(cue.children) for cue in cues)

        assert total(show.cue_lists[0].cues) == count
    assert gc.isenabled()  # the loader pauses the collector only while it works


def test_text_params_keep_unquoted_numbers_as_written(catalog: ProfileCatalog) -> None:
    show = load_show_text(
        textwrap.dedent(
            """\
            version: 1
            show: {title: T}
            devices:
              sound: {profile: qlab5}
              eos: {profile: etc-eos}
            cue_lists:
              - id: a
                cues:
                  - number: 1.10
                    actions:
                      - {device: sound, action: start, params: {cue_number: 1.10}}
                      - {device: eos, action: cue_fire, params: {cue: 12.50}}
                  - number: 2
                    actions: [{device: show, action: load, params: {cue: 1.10}}]
            """
        ),
        "t.yaml",
        catalog,
    )
    first, second = show.cue_lists[0].cues
    assert first.actions[0].params == {"cue_number": "1.10"}
    assert first.actions[1].params == {"list": 1, "cue": "12.50"}
    assert second.actions[0].params == {"cue": "1.10"}
