"""Fixture type files: the bundled library, located errors, and types from a user directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuebridge.config.fixtures import (
    FixtureLibrary,
    default_fixture_dirs,
    load_fixture_type_text,
)
from cuebridge.config.profiles import PROFILES_ENV, ProfileCatalog, load_profile
from cuebridge.config.showfile import load_show_text
from cuebridge.errors import ProfileError

REPO = Path(__file__).resolve().parents[2]
TYPE = """\
fixture_type: strobe
name: Strobe
version: 1
attributes:
  intensity: {channel: 1, panic: true}
  rate: {channel: 2}
"""


def test_the_bundled_library() -> None:
    library = FixtureLibrary.load([REPO / "profiles" / "fixtures"])
    assert library.ids() == ["dimmer", "dimmer-rgb", "moving-light", "rgb", "rgbw"]
    layouts = {
        fixture_type.id: {name: a.channels for name, a in fixture_type.attributes.items()}
        for fixture_type in library
    }
    assert layouts["rgb"] == {"red": (1,), "green": (2,), "blue": (3,)}
    assert layouts["dimmer-rgb"] == {"intensity": (1,), "red": (2,), "green": (3,), "blue": (4,)}
    assert layouts["rgbw"]["white"] == (4,)
    mover = library.get("moving-light")
    assert mover is not None
    assert mover.attributes["pan"].channels == (1, 2)
    assert mover.attributes["tilt"].channels == (3, 4)
    assert (mover.attributes["pan"].home, mover.attributes["pan"].panic) == (50.0, False)
    assert mover.attributes["intensity"].panic
    assert mover.attributes["gobo"].snap
    panics = {t.id: [n for n, a in t.attributes.items() if a.panic] for t in library}
    assert panics["rgb"] == ["red", "green", "blue"]  # no master: the colours are the intensity
    assert panics["dimmer-rgb"] == ["intensity"]  # a master: panic keeps the colour
    assert REPO / "profiles" / "fixtures" in default_fixture_dirs()


def test_a_valid_type_and_its_derived_footprint() -> None:
    strobe = load_fixture_type_text(TYPE, "strobe.yaml", expected_id="strobe")
    assert strobe.footprint == 2
    wider = load_fixture_type_text(TYPE + "footprint: 6\n", "strobe.yaml")
    assert wider.footprint == 6


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("rate: {channel: 2}", "rate: {channel: 1}"), "6:19: attributes.rate.channel: channel 1 "
         "is already used by intensity (each channel belongs to one attribute)"),
        (("rate: {channel: 2}", "rate: {channel: 2, fine: 1}"), "6:28: attributes.rate.fine: "
         "channel 1 is already used by intensity"),
        (("rate: {channel: 2}", "rate: {channel: 513}"), "6:19: attributes.rate.channel: expected "
         "a channel from 1 to 512, got 513"),
        (("rate:", "fixture:"), '6:3: attributes.fixture: attribute name "fixture" is reserved'),
        (("rate:", "Rate:"), "6:3: attributes.Rate: expected an attribute name"),
        (("{channel: 2}", "{channel: 2, home: 120}"), "6:28: attributes.rate.home: expected a "
         "number from 0 to 100%, got 120"),
        (("{channel: 2}", "{channel: 2, panik: true}"), "6:22: attributes.rate.panik: unknown "
         'field "panik"'),
        (("version: 1", "version: 2"), "3:10: version: fixture type format version 2 is newer"),
        (("fixture_type: strobe", "fixture_type: flash"), '1:15: fixture_type: expected the file '
         'name\'s stem "strobe", got "flash"'),
        (("name: Strobe\n", "name: Strobe\nfootprint: 1\n"), "3:12: footprint: expected a "
         "footprint of at least 2 (channel 2 is used), got 1"),
    ],
)  # fmt: skip
def test_located_errors(change: tuple[str, str], expected: str) -> None:
    text = TYPE.replace(*change)
    with pytest.raises(ProfileError) as caught:
        load_fixture_type_text(text, "strobe.yaml", expected_id="strobe")
    messages = [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in caught.value.problems]
    assert any(message.startswith(expected) for message in messages), messages


def test_library_problems_are_located_in_their_files(tmp_path: Path) -> None:
    (tmp_path / "strobe.yaml").write_text(TYPE)
    (tmp_path / "broken.yaml").write_text("fixture_type: broken\nname: [\n")
    (tmp_path / "rgb.yaml").write_text(TYPE.replace("strobe", "rgb"))
    library, problems = FixtureLibrary.load_checked([tmp_path, REPO / "profiles" / "fixtures"])
    assert "strobe" in library
    assert "dimmer" in library
    files = sorted(Path(problem.file).name for problem in problems)
    assert files == ["broken.yaml", "rgb.yaml"]
    assert any('duplicate fixture type "rgb"' in problem.message for problem in problems)
    with pytest.raises(ProfileError, match=r"broken\.yaml"):
        FixtureLibrary.load([tmp_path])


def test_a_show_uses_types_from_a_user_profile_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "strobe.yaml").write_text(TYPE)
    monkeypatch.setenv(PROFILES_ENV, str(tmp_path))
    catalog = ProfileCatalog(
        load_profile(REPO / "profiles" / f"{name}.yaml") for name in ("generic-sacn", "cuebridge")
    )
    text = """\
version: 1
show: {title: Strobe}
devices:
  lx:
    profile: generic-sacn
    patch: {strobe-1: {type: strobe, universe: 1, address: 1}}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions: [{device: lx, action: fixture, params: {fixture: strobe-1, rate: 10}}]
"""
    show = load_show_text(text, "strobe-show.yaml", catalog)
    [action] = show.cue_lists[0].cues[0].actions
    assert action.params == {"fixture": "strobe-1", "attribute": "rate", "value": 10.0}
