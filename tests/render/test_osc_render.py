"""Every action of every bundled OSC profile renders to exactly the messages the device expects."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuebridge.config.profile_model import ActionSpec, ParamSpec
from cuebridge.config.profiles import ProfileCatalog, load_profile_text
from cuebridge.config.showfile import load_show
from cuebridge.core.model import Cue, ParamValue
from cuebridge.errors import CuebridgeError
from cuebridge.protocols.osc import OscMessage, encode_packet, osc_message
from cuebridge.render.osc import RenderError, render_osc
from cuebridge.render.scales import SCALES, bool_to_int, percent_to_unit, x32_fader

REPO = Path(__file__).resolve().parents[2]
RENDER_SRC = REPO / "src" / "cuebridge" / "render"
M = osc_message

# (profile, action, params, the messages they must render to). Every action of every osc
# profile needs at least one case: test_every_osc_action_has_a_case enforces it.
CASES: list[tuple[str, str, dict[str, ParamValue], list[OscMessage]]] = [
    ("behringer-x32", "fader", {"channel": 1, "level": 0}, [M("/ch/01/mix/fader", "f", 0.75)]),
    ("behringer-x32", "fader", {"channel": 32, "level": -90.0}, [M("/ch/32/mix/fader", "f", 0.0)]),
    ("behringer-x32", "mute", {"channel": 3, "muted": True}, [M("/ch/03/mix/on", "i", 0)]),
    ("behringer-x32", "mute", {"channel": 3, "muted": False}, [M("/ch/03/mix/on", "i", 1)]),
    ("behringer-x32", "mute", {"channel": 12}, [M("/ch/12/mix/on", "i", 0)]),  # default: muted
    ("behringer-x32", "main_fader", {"level": -10}, [M("/main/st/mix/fader", "f", 0.5)]),
    ("behringer-x32", "bus_fader", {"bus": 1, "level": -30}, [M("/bus/01/mix/fader", "f", 0.25)]),
    ("behringer-x32", "bus_fader", {"bus": 16, "level": 10}, [M("/bus/16/mix/fader", "f", 1.0)]),
    ("behringer-x32", "dca_fader", {"dca": 8, "level": -60}, [M("/dca/8/fader", "f", 0.0625)]),
    ("behringer-x32", "recall_scene", {"scene": 0}, [M("/-action/goscene", "i", 0)]),
    ("behringer-x32", "recall_scene", {"scene": 99}, [M("/-action/goscene", "i", 99)]),
    (
        "resolume-arena",
        "clip_connect",
        {"layer": 2, "clip": 1},
        [M("/composition/layers/2/clips/1/connect", "i", 1)],
    ),
    (
        "resolume-arena",
        "column_connect",
        {"column": 4},
        [M("/composition/columns/4/connect", "i", 1)],
    ),
    (
        "resolume-arena",
        "layer_opacity",
        {"layer": 2, "opacity": 100},
        [M("/composition/layers/2/video/opacity", "f", 1.0)],
    ),
    (
        "resolume-arena",
        "layer_opacity",
        {"layer": 1, "opacity": 25.0},
        [M("/composition/layers/1/video/opacity", "f", 0.25)],
    ),
    ("resolume-arena", "clear_layer", {"layer": 3}, [M("/composition/layers/3/clear", "i", 1)]),
    ("qlab5", "go", {}, [M("/go")]),
    ("qlab5", "start", {"cue_number": "12.5"}, [M("/cue/12.5/start")]),
    ("qlab5", "stop", {}, [M("/stop")]),
    ("qlab5", "stop_cue", {"cue_number": "T1"}, [M("/cue/T1/stop")]),
    ("qlab5", "panic", {}, [M("/panic")]),
    ("etc-eos", "cue_fire", {"cue": "12.5"}, [M("/eos/cue/1/12.5/fire")]),  # default list 1
    ("etc-eos", "cue_fire", {"list": 2, "cue": "3"}, [M("/eos/cue/2/3/fire")]),
    ("etc-eos", "go", {}, [M("/eos/key/go_0", "f", 1.0)]),
    ("etc-eos", "macro_fire", {"macro": 12}, [M("/eos/macro/fire", "i", 12)]),
    ("etc-eos", "sub_level", {"sub": 5, "level": 75}, [M("/eos/sub/5", "f", 0.75)]),
    ("millumin", "launch_column", {"column": 11}, [M("/action/launchColumn", "i", 11)]),
    ("millumin", "stop_column", {}, [M("/action/stopColumn")]),
    (
        "millumin",
        "layer_opacity",
        {"layer": 1, "opacity": 40},
        [M("/millumin/index:1/opacity", "f", 0.4)],
    ),
    ("disguise", "play", {}, [M("/d3/showcontrol/play")]),
    ("disguise", "stop", {}, [M("/d3/showcontrol/stop")]),
    ("disguise", "play_section", {}, [M("/d3/showcontrol/playsection")]),
    ("disguise", "next_section", {}, [M("/d3/showcontrol/nextsection")]),
    (
        "generic-osc",
        "send",
        {"address": "/mixer/music/level", "value": 0.5},
        [M("/mixer/music/level", "f", 0.5)],
    ),
    (
        "generic-osc",
        "send_int",
        {"address": "/mixer/music/mute", "value": 1},
        [M("/mixer/music/mute", "i", 1)],
    ),
    (
        "generic-osc",
        "send_string",
        {"address": "/show/title", "value": "Act {1}"},
        [M("/show/title", "s", "Act {1}")],
    ),
    ("generic-osc", "trigger", {"address": "/walkin/play"}, [M("/walkin/play")]),
]

BYTES = [
    (
        "behringer-x32",
        "fader",
        {"channel": 1, "level": 0.0},
        b"/ch/01/mix/fader\x00\x00\x00\x00,f\x00\x00\x3f\x40\x00\x00",
    ),
    (
        "behringer-x32",
        "mute",
        {"channel": 1, "muted": True},
        b"/ch/01/mix/on\x00\x00\x00,i\x00\x00\x00\x00\x00\x00",
    ),
    (
        "resolume-arena",
        "clip_connect",
        {"layer": 2, "clip": 1},
        b"/composition/layers/2/clips/1/connect\x00\x00\x00,i\x00\x00\x00\x00\x00\x01",
    ),
    ("qlab5", "go", {}, b"/go\x00,\x00\x00\x00"),
    ("etc-eos", "go", {}, b"/eos/key/go_0\x00\x00\x00,f\x00\x00\x3f\x80\x00\x00"),
]


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


def action_of(catalog: ProfileCatalog, profile_id: str, action: str) -> ActionSpec:
    profile = catalog.get(profile_id)
    assert profile is not None, profile_id
    return profile.actions[action]


def case_id(case: tuple[str, str, dict[str, ParamValue], object]) -> str:
    profile, action, params, _ = case
    return f"{profile}.{action}({', '.join(f'{k}={v}' for k, v in params.items())})"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_action_renders(
    case: tuple[str, str, dict[str, ParamValue], list[OscMessage]], catalog: ProfileCatalog
) -> None:
    profile, action, params, expected = case
    rendered = render_osc(action_of(catalog, profile, action), params)
    assert rendered == expected
    assert [m.type_tags for m in rendered] == [m.type_tags for m in expected]


@pytest.mark.parametrize("case", BYTES, ids=case_id)
def test_exact_bytes(
    case: tuple[str, str, dict[str, ParamValue], bytes], catalog: ProfileCatalog
) -> None:
    profile, action, params, wire = case
    (message,) = render_osc(action_of(catalog, profile, action), params)
    assert encode_packet(message) == wire


def test_every_osc_action_has_a_case(catalog: ProfileCatalog) -> None:
    """A new OSC profile or action must come with proof of what it sends."""
    osc = {(p.id, name) for p in catalog if p.protocol == "osc" for name in p.actions}
    covered = {(profile, action) for profile, action, _, _ in CASES}
    assert osc - covered == set()
    assert covered - osc == set()
    assert {"behringer-x32", "qlab5", "etc-eos", "generic-osc"} <= {p for p, _ in osc}


def test_only_osc_profiles_have_osc_sections(catalog: ProfileCatalog) -> None:
    for profile in catalog:
        for action in profile.actions.values():
            assert (action.osc is not None) == (profile.protocol == "osc"), profile.id


@pytest.mark.parametrize(
    ("level", "fader"),
    [
        (10, 1.0),
        (5, 0.875),
        (0, 0.75),
        (-10, 0.5),
        (-20, 0.375),
        (-30, 0.25),
        (-45, 0.15625),
        (-60, 0.0625),
        (-75, 0.03125),
        (-90, 0.0),
        (11, 1.0),  # clamped
        (-120, 0.0),
        (-math.inf, 0.0),
    ],
)
def test_x32_fader_check_points(level: float, fader: float) -> None:
    assert x32_fader(level) == fader


@settings(max_examples=300, deadline=None)
@given(st.floats(-120, 20), st.floats(-120, 20))
def test_x32_fader_is_monotonic_and_in_range(low: float, high: float) -> None:
    low, high = min(low, high), max(low, high)
    assert 0.0 <= x32_fader(low) <= x32_fader(high) <= 1.0


def test_other_scales() -> None:
    assert [percent_to_unit(v) for v in (0, 50, 100, 150, -5)] == [0.0, 0.5, 1.0, 1.0, 0.0]
    assert (bool_to_int(True), bool_to_int(False)) == (1, 0)
    with pytest.raises(TypeError):
        bool_to_int(1)  # type: ignore[arg-type]
    for scale in (x32_fader, percent_to_unit):
        with pytest.raises(ValueError, match="nan"):
            scale(math.nan)
    assert set(SCALES) == {"x32_fader", "percent_to_unit", "bool_to_int"}


FEATURES = """\
profile: test-kit
name: Every argument form
protocol: osc
version: 1
actions:
  all:
    params:
      n: {type: int, min: 0, max: 9999}
      x: {type: float}
      lit: {type: bool, default: false}
      label: {type: string, default: main}
    osc:
      - address: "/kit/{n:04d}/{label}"
        args:
          - {type: bool, value: "{lit}", as: tf}
          - {type: bool, value: "{lit}", invert: true, as: int}
          - {type: i, value: "{lit}", scale: bool_to_int}
          - {type: i, value: "{n}"}
          - {type: d, value: "{x}"}
          - {type: f, value: 2}
          - {type: s, value: "Cue {n:02d} of {label} {{x}}"}
          - {type: s, value: 7}
          - {type: T}
          - {type: F}
          - {type: N}
      - address: /kit/literal
        args: [{type: bool, value: true, as: tf}, {type: f, value: "{n}", scale: percent_to_unit}]
"""


@pytest.fixture(scope="module")
def kit() -> ActionSpec:
    return load_profile_text(FEATURES, "test-kit.yaml", "test-kit").actions["all"]


def test_every_argument_form(kit: ActionSpec) -> None:
    assert render_osc(kit, {"n": 7, "x": 0.1}) == [
        M("/kit/0007/main", "FiiidfssTFN", 1, 0, 7, 0.1, 2.0, "Cue 07 of main {x}", "7"),
        M("/kit/literal", "Tf", 0.07),
    ]
    first = render_osc(kit, {"n": 7, "x": 0.1, "lit": True, "label": "b"})[0]
    assert first.address == "/kit/0007/b"
    assert first.type_tags[:4] == "Tiii"
    assert first.values[1:4] == (0, 1, 7)


def test_fade_frames_round_int_parameters(kit: ActionSpec, catalog: ProfileCatalog) -> None:
    (message,) = render_osc(
        action_of(catalog, "generic-osc", "send_int"), {"address": "/a", "value": 2.6}
    )
    assert message.values == (3,)
    assert render_osc(kit, {"n": 7.0, "x": 1})[0].address == "/kit/0007/main"


@pytest.mark.parametrize(
    ("profile", "action", "params", "error"),
    [
        ("behringer-x32", "fader", {"channel": 1}, 'missing parameter "level"'),
        ("behringer-x32", "fader", {"channel": 1, "level": 0, "x": 1}, 'unknown parameter "x"'),
        ("behringer-x32", "fader", {"channel": 1, "level": "loud"}, 'parameter "level" must be'),
        ("behringer-x32", "mute", {"channel": 1, "muted": 1}, 'parameter "muted" must be bool'),
        ("behringer-x32", "fader", {"channel": 1, "level": math.nan}, "must be float"),
        ("qlab5", "start", {"cue_number": "1/stop"}, "cannot go into an OSC address"),
        ("qlab5", "start", {"cue_number": "1 2"}, "cannot go into an OSC address"),
        ("etc-eos", "cue_fire", {"cue": "*"}, "cannot go into an OSC address"),
        ("generic-osc", "trigger", {"address": "go"}, "must be a str starting with '/'"),
        ("generic-osc", "send_int", {"address": "/a", "value": 2**31}, "outside"),
        ("generic-osc", "send_string", {"address": "/a", "value": "a\x00b"}, "NUL"),
        ("generic-midi", "note_on", {"channel": 1, "note": 60}, "has no osc section"),
    ],
)
def test_render_errors(
    profile: str, action: str, params: dict[str, ParamValue], error: str, catalog: ProfileCatalog
) -> None:
    with pytest.raises(RenderError, match=error.replace("*", r"\*")) as caught:
        render_osc(action_of(catalog, profile, action), params)
    assert isinstance(caught.value, CuebridgeError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("path", sorted((REPO / "show_files").glob("*.yaml")), ids=lambda p: p.name)
def test_show_file_actions_render(path: Path, catalog: ProfileCatalog) -> None:
    """Every OSC action of the shipped shows renders and encodes."""
    show = load_show(path, catalog)

    def actions(cues: tuple[Cue, ...]) -> list[tuple[str, str, Mapping[str, ParamValue]]]:
        found = [
            (show.devices[action.device].profile, action.action, action.params)
            for cue in cues
            for action in cue.actions
        ]
        for cue in cues:
            found += actions(cue.children)
        return found

    rendered = 0
    for cue_list in show.cue_lists:
        for profile_id, name, params in actions(cue_list.cues):
            profile = catalog.get(profile_id)
            assert profile is not None
            if profile.protocol == "osc":
                for message in render_osc(profile.actions[name], params):
                    assert encode_packet(message)
                rendered += 1
    assert rendered > 0


UNSAFE = " /#*"


def values_for(name: str, spec: ParamSpec) -> st.SearchStrategy[ParamValue]:
    if spec.type == "int":
        low = -(2**31) if spec.min is None else int(spec.min)
        return st.integers(low, 2**31 - 1 if spec.max is None else int(spec.max))
    if spec.type == "float":
        bottom = -1e6 if spec.min is None else spec.min
        return st.floats(bottom, 1e6 if spec.max is None else spec.max)
    if spec.type == "bool":
        return st.booleans()
    if spec.choices:
        return st.sampled_from(spec.choices)
    if name == "address":
        return st.from_regex(r"/[a-z0-9_/]{0,12}", fullmatch=True)
    return st.text(alphabet="abcT0123456789." + UNSAFE, min_size=1, max_size=6)


OSC_ACTIONS = sorted({(profile, action) for profile, action, _, _ in CASES})


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_valid_parameters_render(data: st.DataObject, catalog: ProfileCatalog) -> None:
    profile, name = data.draw(st.sampled_from(OSC_ACTIONS))
    action = action_of(catalog, profile, name)
    params = {
        param: data.draw(values_for(param, spec), label=param)
        for param, spec in action.params.items()
    }
    if any(set(UNSAFE) & set(str(v)) for k, v in params.items() if k != "address"):
        try:
            render_osc(action, params)
        except RenderError as error:
            assert "cannot go into an OSC address" in str(error)  # noqa: PT017
        return
    messages = render_osc(action, params)
    assert messages
    for message in messages:
        assert encode_packet(message)
        for arg in message.args:
            if arg.tag == "f" and profile != "generic-osc":
                assert isinstance(arg.value, float)
                assert 0.0 <= arg.value <= 1.0


def test_render_is_a_pure_layer() -> None:
    forbidden = {"asyncio", "socket", "selectors", "threading", "time", "logging", "os"}
    forbidden |= {"subprocess", "pythonosc", "aiohttp", "socketio", "mido", "rtmidi", "sacn"}
    files = sorted(RENDER_SRC.glob("*.py"))
    assert {path.name for path in files} >= {"__init__.py", "osc.py", "scales.py"}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        names |= {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert {name.split(".")[0] for name in names} & forbidden == set(), path.name
