"""Located, house-worded errors for bad `osc:` sections of device profiles (exact messages)."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.config.profiles import load_profile_text
from cuebridge.core.model import ParamValue
from cuebridge.errors import ProfileError
from cuebridge.render.osc import RenderError, render_osc

ONE_ACTION = """\
profile: test-desk
name: Test desk
protocol: osc
version: 1
actions:
  fader:
    params:
      channel: {type: int, min: 1, max: 32}
      level: {type: float, min: -90, max: 10}
      muted: {type: bool}
      cue: {type: string}
    osc:
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile_text(textwrap.dedent(text), "test-desk.yaml", "test-desk")
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("message", "column", "expected"),
    [
        pytest.param(
            'address: "/ch/{chanel:02d}/mix/fader"',
            18,
            ".address: expected references to this action's parameters, got "
            '"/ch/{chanel:02d}/mix/fader" (no parameter "chanel"; did you mean "channel"?)',
            id="unknown parameter in the address, with did-you-mean",
        ),
        pytest.param(
            'address: "/ch/{x}/mix"',
            18,
            '.address: expected references to this action\'s parameters, got "/ch/{x}/mix" (no '
            'parameter "x"; it has channel, level, muted, cue)',
            id="unknown parameter, listing the action's parameters",
        ),
        pytest.param(
            'address: "/ch/{channel:zz}/mix/fader"',
            18,
            ".address: expected format specs that suit the parameters, got "
            '"/ch/{channel:zz}/mix/fader" ("zz" cannot format the int parameter "channel")',
            id="a format spec Python rejects",
        ),
        pytest.param(
            'address: "/ch/{level:02d}"',
            18,
            '.address: expected format specs that suit the parameters, got "/ch/{level:02d}" '
            '("02d" cannot format the float parameter "level")',
            id="a format spec that does not suit the parameter's type",
        ),
        pytest.param(
            'address: "/ch/{channel"',
            18,
            '.address: expected a template of text and {param} or {param:spec} fields ("{{" for a '
            'brace), got "/ch/{channel"',
            id="an unclosed brace",
        ),
        pytest.param(
            'address: "/ch/{channel!r}"',
            18,
            '.address: expected a template of text and {param} or {param:spec} fields ("{{" for a '
            'brace), got "/ch/{channel!r}"',
            id="a conversion",
        ),
        pytest.param(
            'address: "/ch/{}"',
            18,
            '.address: expected a template of text and {param} or {param:spec} fields ("{{" for a '
            'brace), got "/ch/{}"',
            id="an unnamed field",
        ),
        pytest.param(
            'address: "ch/{channel}"',
            18,
            '.address: expected an OSC address starting with "/", got "ch/{channel}"',
            id="an address without its leading slash",
        ),
        pytest.param(
            "{address: /a, args: [{type: int, value: 1}]}",
            37,
            '.args[0].type: expected i, f, d, s, T, F, N or bool, got "int"',
            id="an unknown type tag",
        ),
        pytest.param(
            '{address: /a, args: [{type: f, value: "{level}", scale: x32fader}]}',
            65,
            '.args[0].scale: expected x32_fader, percent_to_unit or bool_to_int, got "x32fader" '
            '(did you mean "x32_fader"?)',
            id="an unknown scale",
        ),
        pytest.param(
            '{address: /a, args: [{type: i, value: "{level}", scale: x32_fader}]}',
            65,
            ".args[0].scale: expected a scale that gives an int for an i argument, got "
            '"x32_fader" (it gives a float)',
            id="a scale giving the wrong type",
        ),
        pytest.param(
            '{address: /a, args: [{type: i, value: "{level}"}]}',
            47,
            '.args[0].value: expected an int parameter for an i argument, got "{level}" ("level" '
            "is a float parameter)",
            id="a float parameter for an i argument",
        ),
        pytest.param(
            '{address: /a, args: [{type: f, value: "{muted}", scale: x32_fader}]}',
            47,
            ".args[0].value: expected an int or float parameter for scale x32_fader, got "
            '"{muted}" ("muted" is a bool parameter)',
            id="a bool parameter for a dB scale",
        ),
        pytest.param(
            '{address: /a, args: [{type: f, value: "{levl}"}]}',
            47,
            '.args[0].value: expected references to this action\'s parameters, got "{levl}" (no '
            'parameter "levl"; did you mean "level"?)',
            id="an unknown parameter as the value",
        ),
        pytest.param(
            '{address: /a, args: [{type: f, value: "x"}]}',
            47,
            '.args[0].value: expected a number or "{param}" for an f argument, got "x"',
            id="a literal string for an f argument",
        ),
        pytest.param(
            "{address: /a, args: [{type: i, value: 1.5}]}",
            47,
            '.args[0].value: expected a whole number or "{param}" for an i argument, got 1.5',
            id="a fraction for an i argument",
        ),
        pytest.param(
            "{address: /a, args: [{type: bool, value: 1, as: int}]}",
            50,
            '.args[0].value: expected true, false or "{param}" for a bool argument, got 1',
            id="a number for a bool argument",
        ),
        pytest.param(
            '{address: /a, args: [{type: bool, value: "{muted}"}]}',
            30,
            '.args[0]: missing required field "as"',
            id="bool without as",
        ),
        pytest.param(
            '{address: /a, args: [{type: bool, value: "{muted}", as: yes}]}',
            65,
            ".args[0].as: expected int or tf, got yes",
            id="an unknown as",
        ),
        pytest.param(
            "{address: /a, args: [{type: i, value: 1, as: int}]}",
            54,
            '.args[0].as: expected as only with type: bool, got "int"',
            id="as on an int",
        ),
        pytest.param(
            "{address: /a, args: [{type: f}]}",
            30,
            '.args[0]: missing required field "value"',
            id="a valued argument without value",
        ),
        pytest.param(
            "{address: /a, args: [{type: T, value: 1}]}",
            47,
            ".args[0].value: expected no value on a T argument (T, F and N carry no value), got 1",
            id="a value on T",
        ),
        pytest.param(
            "{address: /a, args: [{type: N, scale: x32_fader}]}",
            47,
            ".args[0].scale: expected no scale on an N argument (T, F and N carry no value), got "
            '"x32_fader"',
            id="a scale on N",
        ),
        pytest.param(
            '{address: /a, args: [{type: f, value: "{level}", invert: true}]}',
            66,
            ".args[0].invert: expected invert only on a bool value, got true",
            id="invert on a number",
        ),
        pytest.param(
            '{address: /a, args: [{type: s, value: "{cue:zz}"}]}',
            47,
            '.args[0].value: expected format specs that suit the parameters, got "{cue:zz}" ("zz" '
            'cannot format the string parameter "cue")',
            id="a bad spec in a string template",
        ),
        pytest.param(
            '{address: /a, args: [{type: s, value: "Cue {cu}"}]}',
            47,
            '.args[0].value: expected references to this action\'s parameters, got "Cue {cu}" (no '
            'parameter "cu"; did you mean "cue"?)',
            id="an unknown parameter in a string template",
        ),
        pytest.param(
            "{address: /a, args: [{type: s, value: true}]}",
            47,
            ".args[0].value: expected a string, got true",
            id="a bool for an s argument",
        ),
        pytest.param(
            '{address: /a, args: [{type: s, value: "{cue}", scale: x32_fader}]}',
            63,
            ".args[0].scale: expected no scale on an s argument (only i, f and d take a scale), "
            'got "x32_fader"',
            id="a scale on an s argument",
        ),
        pytest.param(
            '{address: /a, args: [{type: bool, value: "{muted}", as: int, scale: bool_to_int}]}',
            77,
            ".args[0].scale: expected no scale on a bool argument (only i, f and d take a scale), "
            'got "bool_to_int"',
            id="a scale on a bool argument",
        ),
        pytest.param(
            "{address: /a, args: [{type: f, value: 1, sclae: x32_fader}]}",
            50,
            '.args[0].sclae: unknown field "sclae" (did you mean "scale"?)',
            id="a misspelt field",
        ),
        pytest.param(
            'address: "/ch/{channel:99999d}"',
            18,
            '.address: expected format specs that suit the parameters, got "/ch/{channel:99999d}" '
            '("99999d": widths and precisions above 999 are refused)',
            id="a width that would allocate a huge string",
        ),
        pytest.param(
            'address: "/ch/{channel:{level}}"',
            18,
            ".address: expected a template of text and {param} or {param:spec} fields "
            '("{{" for a brace), got "/ch/{channel:{level}}"',
            id="a nested field in a format spec",
        ),
    ],
)
def test_one_bad_message(message: str, column: int, expected: str) -> None:
    """`message` is the one item of the fader's osc list, on line 13 of the file."""
    assert problems(ONE_ACTION + f"      - {message}\n") == [
        f"test-desk.yaml:13:{column}: actions.fader.osc[0]{expected}"
    ]


def test_good_section_loads() -> None:
    text = ONE_ACTION + textwrap.indent(
        textwrap.dedent(
            """\
            - address: "/ch/{channel:02d}/mix/fader"
              args: [{type: f, value: "{level}", scale: x32_fader}]
            - address: "/ch/{channel:02d}/mix/on"
              args:
                - {type: bool, value: "{muted}", invert: true, as: int}
                - {type: i, value: "{muted}", scale: bool_to_int}
                - {type: s, value: "cue {cue} {{literal}}"}
                - {type: N}
            """
        ),
        "      ",
    )
    action = load_profile_text(text, "test-desk.yaml", "test-desk").actions["fader"]
    assert action.osc is not None
    assert [message.address for message in action.osc] == [
        "/ch/{channel:02d}/mix/fader",
        "/ch/{channel:02d}/mix/on",
    ]
    assert action.osc[1].args[0].as_ == "int"
    assert action.osc[1].args[0].invert


def test_osc_section_on_a_midi_profile() -> None:
    assert problems(
        """\
        profile: test-desk
        name: Test desk
        protocol: midi
        version: 1
        actions:
          recall:
            params:
              scene: {type: int, min: 1, max: 128}
            osc:
              - {address: /scene, args: [{type: i, value: "{scene}"}]}
        """
    ) == [
        "test-desk.yaml:10:7: actions.recall.osc: expected no osc section on a midi profile "
        "(only osc profiles send OSC), got a list"
    ]


def test_osc_profile_action_without_osc_section() -> None:
    assert problems(
        """\
        profile: test-desk
        name: Test desk
        protocol: osc
        version: 1
        actions:
          go:
            description: GO
          stop:
            description: Stop
            osc: [{address: /stop}]
        """
    ) == ['test-desk.yaml:7:5: actions.go: missing required field "osc"']


def test_osc_section_shapes() -> None:
    assert problems(
        """\
        profile: test-desk
        name: Test desk
        protocol: osc
        version: 1
        actions:
          go:
            osc: []
          stop:
            osc: {address: /stop}
        """
    ) == [
        "test-desk.yaml:7:10: actions.go.osc: expected at least 1 item, got an empty list",
        "test-desk.yaml:9:10: actions.stop.osc: expected a list, got a mapping",
    ]


def test_every_problem_is_reported_at_once() -> None:
    assert problems(
        """\
        profile: test-desk
        name: Test desk
        protocol: osc
        version: 1
        actions:
          fader:
            params:
              channel: {type: int, min: 1, max: 32}
              level: {type: float, min: -90, max: 10}
            osc:
              - address: "/ch/{chanel:02d}/mix/fader"
                args:
                  - {type: f, value: "{level}", scale: x32_fader}
                  - {type: i, value: "{level}"}
              - address: /ch/all
                args: [{type: T, value: true}]
          mute:
            params:
              muted: {type: bool}
            osc:
              - address: "/mute"
                args: [{type: i, value: "{muted}", invert: true}]
        """
    ) == [
        "test-desk.yaml:11:18: actions.fader.osc[0].address: expected references to this "
        'action\'s parameters, got "/ch/{chanel:02d}/mix/fader" (no parameter "chanel"; did '
        'you mean "channel"?)',
        "test-desk.yaml:14:30: actions.fader.osc[0].args[1].value: expected an int parameter "
        'for an i argument, got "{level}" ("level" is a float parameter)',
        "test-desk.yaml:16:33: actions.fader.osc[1].args[0].value: expected no value on a T "
        "argument (T, F and N carry no value), got true",
        "test-desk.yaml:22:33: actions.mute.osc[0].args[0].value: expected an int parameter for "
        'an i argument, got "{muted}" ("muted" is a bool parameter)',
    ]


TEMPLATES = st.sampled_from(
    [
        "/a", "a", "", "{", "}", "{{", "/{channel}", "/{channel:02d}", "/{level:.1f}",
        "/{level:02d}", "{muted}", "/{cue}", "/{x}", "/{channel!r}", "/{0}", "/{channel.real}",
        "/{channel[0]}", "/{channel:{level}}", "/{channel:9999d}", "{level}", "{cue}",
    ]
)  # fmt: skip
VALUES = (
    TEMPLATES
    | st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True, allow_infinity=True)
)
ARGS = st.fixed_dictionaries(
    {"type": st.sampled_from(["i", "f", "d", "s", "T", "F", "N", "bool", "int", 1, None])},
    optional={
        "value": VALUES,
        "scale": st.sampled_from(["x32_fader", "percent_to_unit", "bool_to_int", "db", 3]),
        "invert": st.sampled_from([True, False, "yes", None]),
        "as": st.sampled_from(["int", "tf", "bool", None]),
        "extra": st.just(1),
    },
)
MESSAGES = st.fixed_dictionaries(
    {"address": TEMPLATES | st.integers()}, optional={"args": st.lists(ARGS, max_size=3)}
)
OSC_SECTIONS = st.lists(MESSAGES, max_size=3) | st.none() | st.just({"address": "/a"})
PARAMS = {
    "channel": {"type": "int", "min": 1, "max": 32},
    "level": {"type": "float", "min": -90, "max": 10},
    "muted": {"type": "bool"},
    "cue": {"type": "string"},
}
SAMPLE: dict[str, ParamValue] = {"channel": 7, "level": -12.5, "muted": True, "cue": "12.5"}


@settings(max_examples=300, deadline=None)
@given(osc=OSC_SECTIONS, protocol=st.sampled_from(["osc", "midi"]))
def test_random_osc_sections_load_or_fail_located(osc: object, protocol: str) -> None:
    """Any `osc:` section loads (and then renders or raises RenderError) or fails located."""
    action: dict[str, object] = {"params": PARAMS}
    if osc is not None:
        action["osc"] = osc
    document = {
        "profile": "test-desk",
        "name": "Test desk",
        "protocol": protocol,
        "version": 1,
        "actions": {"fader": action},
    }
    text = yaml.safe_dump(document, sort_keys=False)
    try:
        profile = load_profile_text(text, "test-desk.yaml", "test-desk")
    except ProfileError as error:
        for problem in error.problems:
            assert problem.file == "test-desk.yaml"
            assert problem.line >= 1
            assert problem.column >= 1
            assert "Input should" not in problem.message
            assert "Value error" not in problem.message
        return
    spec = profile.actions["fader"]
    if spec.osc is None:
        return
    try:
        messages = render_osc(spec, SAMPLE)
    except RenderError:
        return
    assert len(messages) == len(spec.osc)
