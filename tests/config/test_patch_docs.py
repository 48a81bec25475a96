"""docs/dmx.md: its show examples load, its fixture type loads, its error listing is exact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cuebridge.config.fixtures import load_fixture_type_text
from cuebridge.config.profiles import ProfileCatalog, load_profile
from cuebridge.config.showfile import load_show_text
from cuebridge.core.dmx_patch import Unit
from cuebridge.errors import ShowError

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "dmx.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"<!-- example: ([a-z-]+) -->\s*```yaml\n(.*?)```", re.DOTALL)
EXAMPLES = [(match.group(1), match.group(2)) for match in EXAMPLE.finditer(DOC)]


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    names = ("generic-sacn", "cuebridge")
    return ProfileCatalog(load_profile(REPO / "profiles" / f"{name}.yaml") for name in names)


def examples(kind: str) -> list[str]:
    return [text for found, text in EXAMPLES if found == kind]


@pytest.mark.parametrize("text", examples("show"))
def test_show_examples_load(text: str, catalog: ProfileCatalog) -> None:
    show = load_show_text(text, "dmx.md", catalog)
    patch = show.devices["lx"].patch
    assert patch is not None
    assert patch.fixtures


def test_the_examples_cover_both_units(catalog: ProfileCatalog) -> None:
    units = set()
    for text in examples("show"):
        patch = load_show_text(text, "dmx.md", catalog).devices["lx"].patch
        assert patch is not None
        units.add(patch.unit)
    assert units == {Unit.PERCENT, Unit.DMX}


def test_the_fixture_type_example_loads() -> None:
    [text] = examples("fixture-type")
    strobe = load_fixture_type_text(text, "strobe.yaml", expected_id="strobe")
    assert strobe.footprint == 6
    assert strobe.attributes["zoom"].channels == (5, 6)


def test_the_error_listing_is_what_the_loader_says(catalog: ProfileCatalog) -> None:
    [text] = examples("show-errors")
    listing = DOC.split("<!-- example: show-errors -->", 1)[1]
    expected = re.search(r"```text\n(.*?)```", listing, re.DOTALL)
    assert expected is not None
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "show.yaml", catalog)
    assert str(caught.value).splitlines() == expected.group(1).splitlines()


def test_the_type_table_matches_the_library() -> None:
    table = DOC.split("## Fixture types", 1)[1].split("### Writing a type", 1)[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", table, re.MULTILINE)
    bundled = sorted(path.stem for path in (REPO / "profiles" / "fixtures").glob("*.yaml"))
    assert sorted(documented) == bundled
