"""Located, house-worded errors for bad `midi:` sections and MIDI options (exact messages)."""

from __future__ import annotations

import pytest

from cuebridge.config.profiles import load_profile_text
from cuebridge.errors import ProfileError

ONE_ACTION = """\
profile: test-desk
name: Test desk
protocol: midi
version: 1
actions:
  act:
    params:
      ch: {type: int, min: 1, max: 16}
      n: {type: int, min: 0, max: 200}
      x: {type: float}
      s: {type: string}
    midi:
"""
AT = "test-desk.yaml:13:"


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile_text(text, "test-desk.yaml", "test-desk")
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            '{type: note_on, channel: "{ch}", note: "{n}", velocity: 1}',
            "48: actions.act.midi[0].note: expected a parameter whose range fits note 0 to 127, "
            'got "{n}" ("n" goes from 0 to 200)',
            id="a parameter range beyond the MIDI data range",
        ),
        pytest.param(
            '{type: control_change, channel: "{ch} + 1", control: 1, value: 1}',
            "41: actions.act.midi[0].channel: expected a parameter whose range fits channel 1 to "
            '16, got "{ch} + 1" ("ch" goes from 1 to 16, moved by +1)',
            id="an offset pushing the range out",
        ),
        pytest.param(
            "{type: note_on, channel: 17, note: 1, velocity: 1}",
            '34: actions.act.midi[0].channel: expected a whole number from 1 to 16, "{param}" or '
            '"{param} - N", got 17',
            id="channel 17",
        ),
        pytest.param(
            "{type: pitch_bend, channel: 1, value: 9000}",
            '47: actions.act.midi[0].value: expected a whole number from -8192 to 8191, "{param}" '
            'or "{param} - N", got 9000',
            id="pitch bend beyond 14 bits",
        ),
        pytest.param(
            '{type: note_on, channel: "{chan}", note: 1, velocity: 1}',
            "34: actions.act.midi[0].channel: expected references to this action's parameters, "
            'got "{chan}" (no parameter "chan"; did you mean "ch"?)',
            id="unknown parameter with did-you-mean",
        ),
        pytest.param(
            '{type: note_on, channel: "{x}", note: 1, velocity: 1}',
            '34: actions.act.midi[0].channel: expected an int parameter for channel, got "{x}" '
            '("x" is a float parameter)',
            id="a float parameter for a data byte",
        ),
        pytest.param(
            "{type: note_on, channel: 1, note: 1}",
            '9: actions.act.midi[0]: missing required field "velocity"',
            id="missing field",
        ),
        pytest.param(
            "{type: note_on, channel: 1, note: 1, velocity: 1, program: 3}",
            "68: actions.act.midi[0].program: expected no program on a note_on message, got 3 "
            "(it takes channel, note, velocity)",
            id="a field the message type does not have",
        ),
        pytest.param(
            '{type: sysex, data: [240, "{s}"]}',
            '30: actions.act.midi[0].data[0]: expected a whole number from 0 to 127, "{param}" '
            'or "{param} - N", got 240',
            id="a status byte inside sysex data",
        ),
        pytest.param(
            "{type: midi_clock}",
            "16: actions.act.midi[0].type: expected note_on, note_off, control_change, "
            'program_change, pitch_bend, sysex or msc, got "midi_clock"',
            id="unknown message type",
        ),
        pytest.param(
            "{type: msc, command: goo}",
            "30: actions.act.midi[0].command: expected an MSC command such as go, stop, fire or "
            'set, or "{param}", got "goo" (did you mean "go"?)',
            id="unknown MSC command",
        ),
        pytest.param(
            "{type: msc, command: fire}",
            '9: actions.act.midi[0]: missing required field "macro"',
            id="FIRE without a macro",
        ),
        pytest.param(
            "{type: msc, command: fire, macro: 1, cue: 2}",
            "51: actions.act.midi[0].cue: expected no cue on an MSC fire (it takes macro), got 2",
            id="a cue on FIRE",
        ),
        pytest.param(
            "{type: msc, command: go, list: 2}",
            "40: actions.act.midi[0].list: expected a list only with a cue (MSC puts the cue "
            "first), got 2",
            id="a list without a cue",
        ),
        pytest.param(
            '{type: msc, command: go, cue: "1a"}',
            '39: actions.act.midi[0].cue: expected a cue number such as "12.5", or a template '
            'such as "{cue}" or "{exec}.{page}", got "1a"',
            id="a cue number with a letter",
        ),
        pytest.param(
            '{type: msc, command: "{s}"}',
            "30: actions.act.midi[0].command: expected a string parameter with choices (each an "
            'MSC command), got "{s}" ("s" has no choices)',
            id="a command from a free string",
        ),
        pytest.param(
            "{type: msc, command: timed_go, time: 1, rate: 50, cue: 1}",
            "55: actions.act.midi[0].rate: expected 24, 25, 29.97df or 30, got 50",
            id="unknown frame rate",
        ),
        pytest.param(
            '{type: msc, command: fire, macro: "{n}"}',
            "43: actions.act.midi[0].macro: expected a parameter whose range fits macro 0 to 127, "
            'got "{n}" ("n" goes from 0 to 200)',
            id="a macro parameter beyond 127",
        ),
        pytest.param(
            "{type: msc, command: go, command_format: lights}",
            "50: actions.act.midi[0].command_format: expected an MSC command format from 1 to "
            '127 or a name such as lighting, sound or all, got "lights" (did you mean "lifts"?)',
            id="unknown command format name",
        ),
    ],
)
def test_midi_section_problems(message: str, expected: str) -> None:
    assert problems(ONE_ACTION + f"      - {message}\n") == [AT + expected]


def test_connection_options_are_checked_for_midi_profiles() -> None:
    text = ONE_ACTION.replace(
        "actions:",
        "connection: {options: {device_id: 300, command_format: 0, pad_empty_fields: 1}}\nactions:",
    )
    assert problems(text + "      - {type: note_on, channel: 1, note: 1, velocity: 1}\n") == [
        "test-desk.yaml:5:35: connection.options.device_id: expected an MSC device ID from 0 to "
        "127 (127 is all-call), got 300",
        "test-desk.yaml:5:56: connection.options.command_format: expected an MSC command format "
        "from 1 to 127 or a name such as lighting, sound or all, got 0",
        "test-desk.yaml:5:77: connection.options.pad_empty_fields: expected true or false, got 1",
    ]


def test_midi_sections_belong_to_midi_profiles_only() -> None:
    osc = ONE_ACTION.replace("protocol: midi", "protocol: osc").replace(
        "    midi:\n", "    osc: [{address: /a}]\n    midi:\n"
    )
    assert problems(osc + "      - {type: note_on, channel: 1, note: 1, velocity: 1}\n") == [
        "test-desk.yaml:14:7: actions.act.midi: expected no midi section on an osc profile "
        "(only midi profiles do), got a list"
    ]
    bare = ONE_ACTION.replace("    midi:\n", "")
    assert problems(bare) == ['test-desk.yaml:7:5: actions.act: missing required field "midi"']
    empty = ONE_ACTION.replace("    midi:\n", "    midi: []\n")
    assert problems(empty) == [
        "test-desk.yaml:12:11: actions.act.midi: expected at least 1 item, got an empty list"
    ]
