"""Every action of every bundled MIDI profile renders to exactly the bytes the device expects."""

from __future__ import annotations

import math
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuebridge.config.profile_model import ActionSpec, ParamSpec, Profile
from cuebridge.config.profiles import ProfileCatalog, load_profile_text
from cuebridge.core.model import ParamValue
from cuebridge.errors import CuebridgeError
from cuebridge.protocols.msc import MscCommand, MscMessage, StandardTime, decode_msc, encode_msc
from cuebridge.protocols.mtc import FrameRate
from cuebridge.render.midi import MidiSettings, describe_midi, midi_settings, msc_time, render_midi
from cuebridge.render.midi_fields import MSC_COMMAND_FIELDS, MSC_COMMANDS, allowed_fields
from cuebridge.render.osc import RenderError

REPO = Path(__file__).resolve().parents[2]
H = bytes.fromhex

# (profile, action, params, connection options over the profile's, the exact messages).
# Every action of every midi profile needs a case: test_every_midi_action_has_a_case.
Case = tuple[str, str, dict[str, ParamValue], dict[str, ParamValue], list[bytes]]
CASES: list[Case] = [
    ("generic-midi", "note_on", {"channel": 1, "note": 60}, {}, [H("90 3c 7f")]),
    ("generic-midi", "note_on", {"channel": 10, "note": 60, "velocity": 0}, {}, [H("99 3c 00")]),
    ("generic-midi", "note_off", {"channel": 16, "note": 127}, {}, [H("8f 7f 00")]),
    ("generic-midi", "cc", {"channel": 1, "controller": 7, "value": 100}, {}, [H("b0 07 64")]),
    ("generic-midi", "cc", {"channel": 3, "controller": 1, "value": 63.6}, {}, [H("b2 01 40")]),
    ("generic-midi", "program_change", {"channel": 2, "program": 127}, {}, [H("c1 7f")]),
    ("generic-midi", "pitch_bend", {"channel": 1, "value": 0}, {}, [H("e0 00 40")]),
    ("generic-midi", "pitch_bend", {"channel": 1, "value": -8192}, {}, [H("e0 00 00")]),
    ("generic-midi", "pitch_bend", {"channel": 16, "value": 8191}, {}, [H("ef 7f 7f")]),
    ("generic-midi", "sysex", {"data": "7E 7F 06 01"}, {}, [H("f0 7e 7f 06 01 f7")]),
    ("generic-midi", "sysex", {"data": "7e7f0602"}, {}, [H("f0 7e 7f 06 02 f7")]),
    (
        "generic-midi",
        "msc",
        {"cue": "235.6", "list": "36.6", "path": "59"},  # the spec's cue fields example
        {},
        [H("f0 7f 7f 02 7f 01 32 33 35 2e 36 00 33 36 2e 36 00 35 39 f7")],
    ),
    # protocols.md 4.4 worked examples
    (
        "generic-midi",
        "msc",
        {"cue": "1", "list": "1"},
        {"command_format": "lighting"},
        [H("f0 7f 7f 02 01 01 31 00 31 f7")],
    ),
    (
        "generic-midi",
        "msc",
        {"cue": "5.4", "list": "99"},
        {"device_id": 3, "command_format": 1},
        [H("f0 7f 03 02 01 01 35 2e 34 00 39 39 f7")],
    ),
    (
        "generic-midi",
        "msc",
        {"cue": "12", "list": "1"},
        {"device_id": 1, "command_format": "sound"},
        [H("f0 7f 01 02 10 01 31 32 00 31 f7")],
    ),
    ("generic-midi", "msc", {"command": "stop"}, {}, [H("f0 7f 7f 02 7f 02 f7")]),
    (
        "generic-midi",
        "msc",
        {"command": "load", "cue": "7"},
        {"pad_empty_fields": True},
        [H("f0 7f 7f 02 7f 05 37 00 00 f7")],
    ),
    (
        "generic-midi",
        "msc_timed_go",
        {"time": 3, "cue": "1"},
        {"device_id": 1, "command_format": "lighting"},
        [H("f0 7f 01 02 01 04 60 00 03 00 00 31 f7")],  # 3 s at the default 30 fps
    ),
    (
        "generic-midi",
        "msc_set",
        {"control": 510, "value": 75},
        {"device_id": 1, "command_format": "lighting"},
        [H("f0 7f 01 02 01 06 7e 03 4b 00 f7")],
    ),
    (
        "generic-midi",
        "msc_fire",
        {"macro": 17},
        {"device_id": 5, "command_format": "lighting"},
        [H("f0 7f 05 02 01 07 11 f7")],
    ),
    ("generic-midi", "msc_system", {"command": "reset"}, {}, [H("f0 7f 7f 02 7f 0a f7")]),
    ("yamaha-cl", "recall_scene", {"channel": 1, "scene": 1}, {}, [H("c0 00")]),
    ("yamaha-cl", "recall_scene", {"channel": 16, "scene": 128}, {}, [H("cf 7f")]),
    (
        "grandma3",
        "go",
        {"cue": "3.5", "executor": 201, "page": 2},
        {},
        [H("f0 7f 00 02 01 01 33 2e 35 00 32 30 31 2e 32 f7")],
    ),
    ("grandma3", "go", {"cue": "1"}, {}, [H("f0 7f 00 02 01 01 31 00 32 30 31 2e 31 f7")]),
    ("grandma3", "go_next", {}, {"device_id": 12}, [H("f0 7f 0c 02 01 01 f7")]),
    (
        "grandma3",
        "timed_go",
        {"time": 2.5, "cue": "4", "executor": 101},
        {},
        [H("f0 7f 00 02 01 04 60 00 02 0f 00 34 00 31 30 31 2e 31 f7")],
    ),
    ("grandma3", "stop", {}, {}, [H("f0 7f 00 02 01 02 f7")]),
    ("grandma3", "resume", {}, {"command_format": "all"}, [H("f0 7f 00 02 7f 03 f7")]),
    (
        "grandma3",
        "set",
        {"control": 1, "value": 16383},
        {},
        [H("f0 7f 00 02 01 06 01 00 7f 7f f7")],
    ),
    ("grandma3", "fire_macro", {"macro": 5}, {}, [H("f0 7f 00 02 01 07 05 f7")]),
    ("etc-eos-msc", "go", {"cue": "12.5"}, {}, [H("f0 7f 01 02 01 01 31 32 2e 35 00 31 f7")]),
    ("etc-eos-msc", "stop", {"cue": "3", "list": 2}, {}, [H("f0 7f 01 02 01 02 33 00 32 f7")]),
    ("etc-eos-msc", "stop_all", {}, {}, [H("f0 7f 01 02 01 02 f7")]),
    ("etc-eos-msc", "resume", {"cue": "3", "list": 2}, {}, [H("f0 7f 01 02 01 03 33 00 32 f7")]),
    ("etc-eos-msc", "resume_all", {}, {"device_id": 127}, [H("f0 7f 7f 02 01 03 f7")]),
    ("etc-eos-msc", "fire_macro", {"macro": 17}, {}, [H("f0 7f 01 02 01 07 11 f7")]),
    (
        "etc-eos-msc",
        "sub_level",
        {"sub": 1, "level": 100},
        {},
        [H("f0 7f 01 02 01 06 01 00 64 00 f7")],  # ETC: "levels ... followed with 00"
    ),
    ("etc-eos-msc", "grandmaster", {"level": 75}, {}, [H("f0 7f 01 02 01 06 7e 03 4b 00 f7")]),
    (
        "etc-eos-msc",
        "grandmaster",
        {"level": 75},
        {"set_value_msb_first": True},  # the other order ETC's manual shows
        [H("f0 7f 01 02 01 06 7e 03 00 4b f7")],
    ),
]


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


def profile_of(catalog: ProfileCatalog, profile_id: str) -> Profile:
    profile = catalog.get(profile_id)
    assert profile is not None, profile_id
    return profile


def case_id(case: Case) -> str:
    profile, action, params, options, _ = case
    text = ", ".join(f"{k}={v}" for k, v in {**params, **options}.items())
    return f"{profile}.{action}({text})"


def render_case(catalog: ProfileCatalog, case: Case) -> list[bytes]:
    profile_id, action, params, options, _ = case
    profile = profile_of(catalog, profile_id)
    connection = {**profile.connection.options, **options}
    return render_midi(profile.actions[action], params, midi_settings(connection))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_action_renders_exact_bytes(case: Case, catalog: ProfileCatalog) -> None:
    rendered = render_case(catalog, case)
    assert [message.hex(" ") for message in rendered] == [m.hex(" ") for m in case[4]]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_mido_reads_back_the_same_message(case: Case, catalog: ProfileCatalog) -> None:
    for message in render_case(catalog, case):
        parsed = mido.Message.from_bytes(list(message))
        assert bytes(parsed.bytes()) == message
        if parsed.type == "sysex" and message[3] == 0x02:
            assert decode_msc(message)  # every MSC message decodes strictly


def test_every_midi_action_has_a_case(catalog: ProfileCatalog) -> None:
    """A new MIDI profile or action must come with proof of what it sends."""
    midi = {(p.id, name) for p in catalog if p.protocol == "midi" for name in p.actions}
    covered = {(profile, action) for profile, action, *_ in CASES}
    assert midi - covered == set()
    assert covered - midi == set()
    assert {"generic-midi", "yamaha-cl", "grandma3", "etc-eos-msc"} <= {p for p, _ in midi}


def test_only_midi_profiles_have_midi_sections(catalog: ProfileCatalog) -> None:
    for profile in catalog:
        for action in profile.actions.values():
            assert (action.midi is not None) == (profile.protocol == "midi"), profile.id


KIT = """\
profile: test-kit
name: MIDI forms
protocol: midi
version: 1
connection: {options: {device_id: 1, command_format: lighting}}
actions:
  timed:
    params:
      seconds: {type: float, min: 0, max: 60}
      cue: {type: string}
    midi:
      - {type: msc, command: timed_go, time: "{seconds}", rate: 25, cue: "{cue}"}
      - {type: msc, command: timed_go, time: 1.5, rate: 29.97df, cue: 2, device_id: 127}
  several:
    params:
      n: {type: int, min: 85, max: 100}
      bank: {type: string, default: "00"}
    midi:
      - {type: control_change, channel: 1, control: 0, value: 0}
      - {type: program_change, channel: "{n} - 84", program: "{n} + 27"}
      - {type: sysex, data: [0x43, "{bank}", "{n}", 0x7F]}
      - {type: msc, command: set, control: 0x3FFF, value: "{n}", command_format: sound}
      - {type: note_off, channel: 2, note: "{n}"}
"""


@pytest.fixture(scope="module")
def kit() -> Profile:
    return load_profile_text(KIT, "test-kit.yaml", "test-kit")


def test_msc_time_forms(kit: Profile) -> None:
    settings = midi_settings(kit.connection.options)
    first, second = render_midi(kit.actions["timed"], {"seconds": 3, "cue": "1"}, settings)
    assert first == H("f0 7f 01 02 01 04 20 00 03 00 00 31 f7")  # protocols.md 4.4 example
    # 1.5 s at 29.97 fps: 44.955 frames -> frame 44 = 00:00:01;14 and 96/100 of a frame
    assert second == H("f0 7f 7f 02 01 04 40 00 01 0e 60 32 f7")


def test_offsets_hex_strings_and_overrides(kit: Profile) -> None:
    messages = render_midi(kit.actions["several"], {"n": 100}, midi_settings({}))
    assert [m.hex(" ") for m in messages] == [
        "b0 00 00",
        "cf 7f",
        "f0 43 00 64 7f f7",
        "f0 7f 7f 02 10 06 7f 7f 64 00 f7",
        "81 64 00",  # note_off velocity defaults to 0
    ]
    with pytest.raises(RenderError, match=r"channel must be 1-16, got 0 \(from parameter \"n\"\)"):
        render_midi(kit.actions["several"], {"n": 84})


@pytest.mark.parametrize(
    ("seconds", "rate", "fields"),
    [
        (0.0, "30", (0, 0, 0, 0, 0)),
        (3.0, "25", (0, 0, 3, 0, 0)),
        (0.02, "25", (0, 0, 0, 0, 50)),
        (3661.5, "24", (1, 1, 1, 12, 0)),
        (60.0, "29.97df", (0, 0, 59, 28, 20)),  # 1798.2 frames; 1800 labels in minute 0
        (61.0, "29.97df", (0, 1, 1, 0, 17)),  # 1828.17: minute 1 starts at 1800 = 00:01:00;02
    ],
)
def test_msc_time(seconds: float, rate: str, fields: tuple[int, ...]) -> None:
    time = msc_time(seconds, rate)
    assert (time.hours, time.minutes, time.seconds, time.frames, time.subframes) == fields


def test_settings_from_connection() -> None:
    assert midi_settings({}) == MidiSettings(device_id=127, command_format=0x7F)
    assert midi_settings({"device_id": 0, "command_format": "all", "port": 9}).device_id == 0
    with pytest.raises(ValueError, match="option device_id: expected an MSC device ID"):
        midi_settings({"device_id": 128})
    with pytest.raises(ValueError, match="option command_format: expected"):
        midi_settings({"command_format": "lights"})
    with pytest.raises(ValueError, match="option pad_empty_fields: expected true or false"):
        midi_settings({"pad_empty_fields": 1})


@pytest.mark.parametrize(
    ("profile", "action", "params", "error"),
    [
        ("generic-midi", "note_on", {"channel": 1}, 'missing parameter "note"'),
        ("generic-midi", "note_on", {"channel": 1, "note": 1, "x": 2}, 'unknown parameter "x"'),
        ("generic-midi", "cc", {"channel": 1, "controller": 1, "value": "x"}, "must be int"),
        ("generic-midi", "cc", {"channel": 1, "controller": 1, "value": math.inf}, "must be int"),
        ("generic-midi", "sysex", {"data": "7E 80"}, "sysex data bytes must be 00-7F, got 80"),
        ("generic-midi", "sysex", {"data": "F0 7E"}, "must be 00-7F"),
        ("generic-midi", "sysex", {"data": "7E 7"}, "must be hex bytes"),
        ("generic-midi", "msc", {"cue": "1a"}, "digits and '.'"),
        ("generic-midi", "msc", {"list": "2"}, "cue_list needs a cue number"),
        ("generic-midi", "msc", {"command": "load"}, "LOAD takes cue fields"),
        ("generic-midi", "msc", {"cue": "1" * 130}, "the limit is 128"),
        ("etc-eos", "go", {}, "has no midi section"),
    ],
)
def test_render_errors(
    profile: str, action: str, params: dict[str, ParamValue], error: str, catalog: ProfileCatalog
) -> None:
    with pytest.raises(RenderError, match=error.replace("(", r"\(")) as caught:
        render_midi(profile_of(catalog, profile).actions[action], params)
    assert isinstance(caught.value, CuebridgeError)


def test_unbounded_parameters_are_checked_when_rendered() -> None:
    text = KIT.split("actions:")[0] + (
        "actions:\n  raw:\n    params:\n      n: {type: int}\n"
        '    midi:\n      - {type: note_on, channel: 1, note: "{n}", velocity: 1}\n'
    )
    action = load_profile_text(text, "test-kit.yaml", "test-kit").actions["raw"]
    assert render_midi(action, {"n": 127}) == [H("90 7f 01")]
    with pytest.raises(RenderError, match="note must be 0-127, got 128"):
        render_midi(action, {"n": 128})


def test_msc_field_table_matches_the_codec() -> None:
    """midi_fields' YAML table and protocols/msc.py agree on what each command takes."""
    samples: dict[str, object] = {
        "cue": "1",
        "list": "2",
        "path": "3",
        "time": StandardTime(0, 0, 1, 0),
        "control": 1,
        "value": 2,
        "macro": 3,
    }
    keyword = {"list": "cue_list", "path": "cue_path"}
    for name, (allowed, required) in MSC_COMMAND_FIELDS.items():
        command = MSC_COMMANDS[name]
        fields = {keyword.get(f, f): samples[f] for f in allowed}
        encode_msc(MscMessage(1, 1, command, **fields))  # type: ignore[arg-type]
        for missing in required:
            partial = {k: v for k, v in fields.items() if k != keyword.get(missing, missing)}
            with pytest.raises(ValueError):  # noqa: PT011 - the codec words it per command
                MscMessage(1, 1, command, **partial)  # type: ignore[arg-type]
        for extra in set(samples) - allowed:
            with pytest.raises(ValueError):  # noqa: PT011
                MscMessage(1, 1, command, **{**fields, keyword.get(extra, extra): samples[extra]})  # type: ignore[arg-type]
    assert set(MSC_COMMANDS.values()) == {c for c in MscCommand if c < MscCommand.STANDBY}
    assert "data" in allowed_fields("sysex")


def test_describe_lists_what_actions_send(catalog: ProfileCatalog) -> None:
    eos = profile_of(catalog, "etc-eos-msc")
    assert describe_midi(eos.actions["grandmaster"]) == ["MSC SET control 510 value {level}"]
    yamaha = profile_of(catalog, "yamaha-cl").actions["recall_scene"]
    assert describe_midi(yamaha) == ["program_change channel {channel} program {scene} - 1"]
    lines = catalog.describe_text()
    assert "    sends MSC GO cue {cue} list {executor}.{page}" in lines
    assert catalog.describe()["yamaha-cl"]["actions"]["recall_scene"]["midi"] == [
        {"type": "program_change", "channel": "{channel}", "program": "{scene} - 1"}
    ]


def values_for(name: str, spec: ParamSpec) -> st.SearchStrategy[ParamValue]:
    if spec.type == "int":
        return st.integers(int(spec.min or 0), int(spec.max if spec.max is not None else 127))
    if spec.type == "float":
        return st.floats(spec.min or 0.0, spec.max if spec.max is not None else 100.0)
    if spec.type == "cue" or (name == "cue" and spec.default is None):
        return st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True)
    if spec.choices:
        return st.sampled_from(spec.choices)
    if name == "data":
        return st.lists(st.integers(0, 127), max_size=8).map(lambda b: bytes(b).hex(" "))
    return st.sampled_from(["", "1", "2.5"])


MIDI_ACTIONS = sorted({(profile, action) for profile, action, *_ in CASES})


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_valid_parameters_render_to_valid_midi(
    data: st.DataObject, catalog: ProfileCatalog
) -> None:
    profile_id, name = data.draw(st.sampled_from(MIDI_ACTIONS))
    profile = profile_of(catalog, profile_id)
    action: ActionSpec = profile.actions[name]
    params = {p: data.draw(values_for(p, spec), label=p) for p, spec in action.params.items()}
    try:
        messages = render_midi(action, params, midi_settings(profile.connection.options))
    except RenderError:
        # only the generic msc action's optional fields can be combined badly
        assert (profile_id, name) == ("generic-midi", "msc")
        return
    for message in messages:
        assert bytes(mido.Message.from_bytes(list(message)).bytes()) == message


def test_rates_name_every_frame_rate() -> None:
    assert {msc_time(1.0, name).rate for name in ("24", "25", "29.97df", "30")} == set(FrameRate)
