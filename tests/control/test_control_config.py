"""The show file's `control:` section and cue timecodes: resolved values and located errors."""

from __future__ import annotations

import pytest

from cuebridge.app import load_catalog
from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show_text
from cuebridge.control.osc_auth import AccessPolicy, ConnectResult
from cuebridge.core.control_settings import LOOPBACK_OPERATORS, MidiTrigger
from cuebridge.errors import ShowError
from cuebridge.runtime.roles import Role

BASE = """\
version: 1
show: {title: Config}
cue_lists:
  - id: main
    cues:
      - {number: "1"}
      - {number: "5", timecode: 10:00:20:00}
"""

FULL = """\
control:
  osc:
    passcodes: {operator: "0123", viewer: "look"}
    allow: {"192.168.1.0/24": viewer, "192.168.1.20": operator}
    default_role: none
    udp_reply_port: 53001
  midi:
    input: {transport: udp, port: 21928}
    map:
      - {note: 60, channel: 1, command: go}
      - {cc: 20, value: 127, command: stop}
      - {program: 5, command: cue, cue: "05"}
  msc: {device_id: 1, groups: [112]}
  timecode:
    fps: 25
    on_jump: fire-last
    output: {transport: udp, port: 5004}
    start: "01:00:00:00"
"""
MIDI_MISTAKES = """\
control:
  midi:
    input: {port: 9}
    map:
      - {note: 60, cc: 3, command: go}
      - {note: 61, value: 3, command: go}
      - {cc: 20, command: stop, cue: "1"}
      - {program: 5, command: cue}
      - {program: 6, command: load, cue: "9"}
      - {program: 6, command: stop}
"""


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return load_catalog()


def test_no_control_section_means_loopback_operators_and_nothing_else(
    catalog: ProfileCatalog,
) -> None:
    show = load_show_text(BASE.replace(", timecode: 10:00:20:00", ""), "show.yaml", catalog)
    control = show.control
    assert dict(control.osc.allow) == dict(LOOPBACK_OPERATORS)
    assert control.osc.passcodes == {}
    assert control.midi_input is None
    assert control.msc_device_id is None
    assert control.timecode is None
    policy = AccessPolicy(control.osc)
    assert policy.role_for("127.0.0.1") is Role.OPERATOR
    assert policy.role_for("::1") is Role.OPERATOR
    assert policy.role_for("192.168.1.20") is Role.VIEWER


def test_a_full_control_section_resolves(catalog: ProfileCatalog) -> None:
    text = BASE + FULL
    show = load_show_text(text, "show.yaml", catalog)
    control = show.control
    assert control.osc.passcodes == {"0123": "operator", "look": "viewer"}
    assert control.osc.udp_reply_port == 53001
    policy = AccessPolicy(control.osc)
    assert policy.role_for("192.168.1.20") is Role.OPERATOR  # the more specific rule wins
    assert policy.role_for("192.168.1.21") is Role.VIEWER
    assert policy.role_for("127.0.0.1") is Role.NONE  # an explicit allow replaces the default
    assert policy.connect("10.0.0.9", "0123", 0.0) == (ConnectResult.OK, Role.OPERATOR)
    assert control.midi_map[2] == MidiTrigger(kind="program", number=5, command="cue", cue="5")
    assert control.msc_input == control.midi_input
    assert control.msc_groups == (112,)
    assert control.timecode is not None
    assert control.timecode.input == control.midi_input
    assert control.timecode.output == {"transport": "udp", "host": "127.0.0.1", "port": 5004}
    assert control.timecode.output_start == 3600.0
    assert show.cue_lists[0].cues[1].timecode == 36020.0  # unquoted 10:00:20:00 is not base 60


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        ("  osc: {allow: {nowhere: operator}}", 9, "expected an IP address or network"),
        ("  osc: {passcodes: {operator: x, viewer: x}}", 9, "different from the operator"),
        ("  osc: {passcodes: {boss: x}}", 9, 'unknown field "boss"'),
        ("  osc: {default_role: admin}", 9, "expected none, viewer or operator"),
        ("  midi: {map: [{note: 1, command: go}]}", 9, "expected an input for the MIDI map"),
        ("  msc: {device_id: 1}", 9, "set control.msc.input or control.midi.input"),
        ("  msc: {device_id: 127, input: {port: 9}}", 9, "MSC device id from 0 to 111"),
        ("  timecode: {fps: 25, start: '00:00:00:25', input: {port: 9}}", 9, "at 25 fps"),
        ("  timecode: {fps: 23, input: {port: 9}}", 9, "24, 25, 29.97df or 30"),
        ("  timecode: {fps: 25, input: {transport: rtmidi}}", 9, '"port_name"'),
    ],
)
def test_control_mistakes_are_located(
    section: str, line: int, message: str, catalog: ProfileCatalog
) -> None:
    with pytest.raises(ShowError) as caught:
        load_show_text(BASE + "control:\n" + section + "\n", "show.yaml", catalog)
    found = [p for p in caught.value.problems if message in p.message]
    assert found, [p.message for p in caught.value.problems]
    assert found[0].line == line
    assert found[0].file == "show.yaml"


def test_midi_map_mistakes_are_located(catalog: ProfileCatalog) -> None:
    text = BASE + MIDI_MISTAKES
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "show.yaml", catalog)
    lines = {p.line: p.message for p in caught.value.problems}
    assert "exactly one of note, cc or program" in lines[12]
    assert "no value for a note" in lines[13]
    assert "no cue for command stop" in lines[14]
    assert 'missing required field "cue"' in lines[15]
    assert 'no cue numbered "9"' in lines[16]
    assert "duplicate MIDI trigger (first mapped at line 16)" in lines[17]


def test_cue_timecode_mistakes_are_located(catalog: ProfileCatalog) -> None:
    without_section = BASE
    with pytest.raises(ShowError) as caught:
        load_show_text(without_section, "show.yaml", catalog)
    assert "expected control.timecode" in caught.value.problems[0].message
    assert caught.value.problems[0].line == 7
    text = """\
version: 1
show: {title: Config}
control: {timecode: {fps: 30, input: {port: 9}}}
cue_lists:
  - id: main
    cues:
      - {number: "1", timecode: "01:00:00:30"}
      - {number: "2", timecode: "01:00:01:00"}
      - {number: "3", timecode: "01:00:01:00"}
      - {number: "4", children: [{number: "4.1", timecode: "01:00:02:00"}]}
"""
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "show.yaml", catalog)
    lines = {p.line: p.message for p in caught.value.problems}
    assert "at 30 fps" in lines[7]
    assert "no other cue uses (line 8 has it)" in lines[9]
    assert "no timecode on a child cue" in lines[10]
