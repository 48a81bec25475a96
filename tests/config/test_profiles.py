"""Device profiles: the bundled catalog, the profile format's checks and their messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cuebridge.config.profiles import (
    ProfileCatalog,
    default_profile_dirs,
    load_profile,
    load_profile_text,
)
from cuebridge.errors import ProfileError

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "profiles"

VALID = """\
profile: test-desk
name: Test desk
protocol: osc
version: 1
connection: {transport: udp, host: 127.0.0.1, port: 9000}
actions:
  fader:
    osc:
      - {address: "/ch/{channel:02d}/mix/fader", args: [{type: f, value: "{level}"}]}
    params:
      channel: {type: int, min: 1, max: 32}
      level: {type: float, min: -90, max: 10, unit: dB, fade: true, home: -90, panic: true}
"""


def profile_problems(text: str, expected_id: str | None = "test-desk") -> list[str]:
    with pytest.raises(ProfileError) as caught:
        load_profile_text(textwrap.dedent(text), "test-desk.yaml", expected_id)
    return [str(problem) for problem in caught.value.problems]


def with_param(spec: str) -> str:
    """The valid profile with one more parameter `p` on the fader action."""
    return VALID + f"      p: {spec}\n"


def test_bundled_profiles_load() -> None:
    catalog = ProfileCatalog.load([BUNDLED, str(BUNDLED)])  # the same directory only once
    assert catalog.ids() == [
        "behringer-x32",
        "cuebridge",
        "disguise",
        "etc-eos",
        "etc-eos-msc",
        "generic-midi",
        "generic-osc",
        "generic-sacn",
        "grandma3",
        "millumin",
        "qlab5",
        "resolume-arena",
        "yamaha-cl",
    ]
    assert len(catalog) == 13
    assert "qlab5" in catalog
    assert [profile.id for profile in catalog] == catalog.ids()


def test_bundled_profiles_facts() -> None:
    catalog = ProfileCatalog.load([BUNDLED])
    control = catalog.get("cuebridge")
    assert control is not None
    assert control.protocol == "internal"
    assert sorted(control.actions) == [
        "arm", "disarm", "load", "pause", "resume", "start", "stop"
    ]  # fmt: skip
    assert all(spec.params["cue"].type == "cue" for spec in control.actions.values())
    x32 = catalog.get("behringer-x32")
    assert x32 is not None
    level = x32.actions["fader"].params["level"]
    assert (level.min, level.max, level.unit, level.home, level.panic) == (-90, 10, "dB", -90, True)
    assert x32.connection.port == 10023
    assert x32.actions["fader"].fade_params == ("level",)
    sacn = catalog.get("generic-sacn")
    assert sacn is not None
    assert sacn.actions["level"].params["universe"].max == 63999
    assert catalog.get("nope") is None
    hosts = {profile.connection.host for profile in catalog} - {None}
    assert hosts == {"127.0.0.1"}


def test_valid_profile_text() -> None:
    profile = load_profile_text(VALID, "test-desk.yaml", "test-desk")
    assert profile.id == "test-desk"
    assert profile.actions["fader"].params["channel"].required
    assert profile.connection.transport == "udp"


def test_load_profile_from_file(tmp_path: Path) -> None:
    path = tmp_path / "test-desk.yaml"
    path.write_text(VALID)
    assert load_profile(path).name == "Test desk"
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "missing.yaml")
    assert str(caught.value).endswith(
        "missing.yaml:1:1: cannot read file: No such file or directory"
    )


def test_id_must_equal_file_stem() -> None:
    assert profile_problems(VALID, expected_id="desk") == [
        'test-desk.yaml:1:10: profile: expected the file name\'s stem "desk", got "test-desk"'
    ]


def test_unknown_fields_with_did_you_mean() -> None:
    text = VALID.replace("version: 1", "version: 1\nvendr: Acme").replace("unit: dB", "units: dB")
    assert profile_problems(text) == [
        'test-desk.yaml:5:1: vendr: unknown field "vendr" (did you mean "vendor"?)',
        'test-desk.yaml:13:47: actions.fader.params.level.units: unknown field "units" '
        '(did you mean "unit"?)',
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "{type: integer}",
            'p.type: expected int, float, string, bool or cue, got "integer" (did you mean "int"?)',
        ),
        (
            "{type: string, fade: true, home: 0}",
            "p.fade: expected fade: false on a string "
            "parameter (only int and float fade), got true",
        ),
        (
            "{type: float, fade: true}",
            'p: missing required field "home" (a fading parameter needs its home value)',
        ),
        (
            "{type: float, min: 0, max: 1, fade: true, home: 5}",
            "p.home: expected a number from 0 to 1, got 5",
        ),
        ("{type: float, home: 0}", "p.home: expected home only with fade: true, got 0"),
        ("{type: float, panic: true}", "p.panic: expected panic only with fade: true, got true"),
        ("{type: int, min: 5, max: 1}", "p.max: expected a max >= min (5), got 1"),
        (
            "{type: bool, min: 0}",
            "p.min: expected no min on a bool parameter (only int and float have a range), got 0",
        ),
        (
            "{type: int, choices: [a]}",
            "p.choices: expected no choices on a int parameter (only "
            "string has choices), got a list",
        ),
        ("{type: int, max: 3, default: 7}", "p.default: expected a whole number <= 3, got 7"),
        ("{type: string, choices: [f, i], default: x}", 'p.default: expected f or i, got "x"'),
        ("{type: int, default: true}", "p.default: expected a whole number, got true"),
        ("{type: float, min: low}", 'p.min: expected a number, got "low"'),
        ("{type: bool, fade: maybe}", 'p.fade: expected true or false, got "maybe"'),
    ],
)
def test_param_spec_problems(spec: str, message: str) -> None:
    problems = profile_problems(with_param(spec))
    assert [problem.split("actions.fader.params.", 1)[1] for problem in problems] == [message]


def test_bad_names_and_transport() -> None:
    text = VALID.replace("protocol: osc", "protocol: midi").replace("  fader:", "  Fader:")
    text = text.replace("transport: udp", "transport: tcp-len")
    assert profile_problems(text) == [
        "test-desk.yaml:5:25: connection.transport: expected udp, rtmidi, ipmidi or inproc for a "
        'midi profile, got "tcp-len"',
        "test-desk.yaml:7:3: actions.Fader: expected a action name of lowercase letters, digits, "
        '"-" or "_", starting with a letter, got "Fader"',
        "test-desk.yaml:9:7: actions.Fader.osc: expected no osc section on a midi profile "
        "(only osc profiles send OSC), got a list",
    ]


def test_future_profile_version() -> None:
    assert profile_problems(VALID.replace("version: 1", "version: 3")) == [
        "test-desk.yaml:4:10: version: profile format version 3 is newer than this cuebridge "
        "reads (1); upgrade cuebridge"
    ]


def test_missing_required_fields_and_wrong_shapes() -> None:
    assert profile_problems("profile: test-desk\nactions: []\n") == [
        'test-desk.yaml:1:1: missing required field "name"',
        'test-desk.yaml:1:1: missing required field "protocol"',
        'test-desk.yaml:1:1: missing required field "version"',
        "test-desk.yaml:2:10: actions: expected a mapping, got a list",
    ]
    assert profile_problems("- a\n") == ["test-desk.yaml:1:1: expected a mapping, got a list"]


def test_catalog_collects_problems_of_every_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "test-desk.yaml").write_text(VALID)
    (second / "test-desk.yaml").write_text(VALID)
    (second / "broken.yaml").write_text("profile: broken\nname: [\n")
    (second / "other.yaml").write_text(VALID)
    with pytest.raises(ProfileError) as caught:
        ProfileCatalog.load([first, second, tmp_path / "nowhere"])
    assert [str(problem).replace(str(tmp_path), "T") for problem in caught.value.problems] == [
        "T/b/broken.yaml:3:1: invalid YAML: did not find expected node content",
        'T/b/other.yaml:1:10: profile: expected the file name\'s stem "other", got "test-desk"',
        'T/b/test-desk.yaml:1:10: profile: duplicate profile id "test-desk": also in '
        "T/a/test-desk.yaml",
        "T/nowhere:1:1: cannot read file: not a directory",
    ]


def test_default_profile_dirs_honour_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUEBRIDGE_PROFILES", raising=False)
    assert default_profile_dirs() == [BUNDLED]
    extra = [tmp_path / "x", tmp_path / "y"]
    monkeypatch.setenv("CUEBRIDGE_PROFILES", f"{extra[0]}:{extra[1]}:")
    assert default_profile_dirs() == [*extra, BUNDLED]


def test_catalog_from_profiles() -> None:
    profile = load_profile_text(VALID, "test-desk.yaml")
    catalog = ProfileCatalog([profile])
    assert catalog.get("test-desk") is profile
    assert catalog.ids() == ["test-desk"]


def test_catalog_descriptions() -> None:
    catalog = ProfileCatalog.load([BUNDLED])
    data = catalog.describe()
    assert list(data) == catalog.ids()
    assert data["behringer-x32"]["actions"]["fader"]["params"]["level"] == {
        "type": "float",
        "min": -90.0,
        "max": 10.0,
        "unit": "dB",
        "description": "",
        "fade": True,
        "home": -90.0,
        "panic": True,
    }
    lines = catalog.describe_text()
    assert "behringer-x32: Behringer X32 / Midas M32 (osc)" in lines
    assert (
        "  fader: channel (a whole number from 1 to 32), level (a number from -90 to 10 dB, fades)"
        in lines
    )
    assert "  mute: channel (a whole number from 1 to 32), muted (true or false, optional)" in lines
    assert "  go" in lines
