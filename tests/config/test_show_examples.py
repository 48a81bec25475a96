"""Every shipped show and documented example loads; random input never crashes the loader."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuebridge.config.profiles import ProfileCatalog, load_profile_text
from cuebridge.config.showfile import load_show, load_show_text
from cuebridge.core.model import Cue
from cuebridge.errors import ShowError

REPO = Path(__file__).resolve().parents[2]
SHOW_FILES = sorted((REPO / "show_files").glob("*.yaml"))
DOCS = sorted((REPO / "docs").glob("*.md"))
EXAMPLE = re.compile(r"<!-- example: (show|profile) -->\s*```yaml\n(.*?)```", re.DOTALL)
KEYNOTE = REPO / "show_files" / "keynote.yaml"


def doc_examples(kind: str) -> list[Any]:
    found = []
    for doc in DOCS:
        for number, match in enumerate(EXAMPLE.finditer(doc.read_text(encoding="utf-8"))):
            if match.group(1) == kind:
                found.append(pytest.param(match.group(2), id=f"{doc.name}-{number}"))
    return found


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


@pytest.fixture(scope="module")
def keynote_data() -> object:
    return yaml.safe_load(KEYNOTE.read_text(encoding="utf-8"))


def dump(document: object) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True)


def all_cues(cues: tuple[Cue, ...]) -> list[Cue]:
    return [kid for cue in cues for kid in (cue, *all_cues(cue.children))]


def test_show_files_exist() -> None:
    assert {path.name for path in SHOW_FILES} >= {"keynote.yaml", "theatre-scene.yaml"}


@pytest.mark.parametrize("path", SHOW_FILES, ids=lambda path: path.name)
def test_show_files_load_and_stay_on_loopback(path: Path, catalog: ProfileCatalog) -> None:
    show = load_show(path, catalog)
    for device in show.devices.values():
        if device.name != "show":
            assert device.connection["host"] == "127.0.0.1"
    addresses = set(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", path.read_text()))
    assert addresses == {"127.0.0.1"}


def test_keynote_uses_the_format(catalog: ProfileCatalog) -> None:
    show = load_show(KEYNOTE, catalog)
    cues = all_cues(show.cue_lists[0].cues)
    assert 15 <= len(cues) <= 25
    assert any(cue.is_group for cue in cues)
    assert {cue.continue_mode.value for cue in cues} == {"none", "auto-continue", "auto-follow"}
    assert any(cue.pre_wait > 0 for cue in cues)
    assert any(cue.post_wait > 0 for cue in cues)
    assert any(cue.planned_start is not None for cue in cues)
    actions = [action for cue in cues for action in cue.actions]
    assert len({action.curve for action in actions if action.fade > 0}) >= 3
    assert any(action.device == "show" and action.action == "stop" for action in actions)
    ports = [device.connection["port"] for device in show.devices.values() if device.name != "show"]
    assert len(ports) == len(set(ports))


@pytest.mark.parametrize("text", doc_examples("show"))
def test_documented_show_examples_load(text: str, catalog: ProfileCatalog) -> None:
    assert load_show_text(text, "docs", catalog).cue_lists


@pytest.mark.parametrize("text", doc_examples("profile"))
def test_documented_profile_examples_load(text: str) -> None:
    assert load_profile_text(text, "docs").actions


def test_docs_have_examples() -> None:
    assert doc_examples("show")
    assert len(doc_examples("profile")) >= 2


def check_outcome(text: str, catalog: ProfileCatalog) -> None:
    """Loading either succeeds or raises ShowError whose problems are all located."""
    try:
        load_show_text(text, "random.yaml", catalog)
    except ShowError as error:
        problems = error.problems
    else:
        return
    assert problems
    for problem in problems:
        assert problem.line >= 1
        assert problem.column >= 1
        assert problem.file == "random.yaml"
        assert "Input should" not in problem.message


KEYS = st.sampled_from(
    [
        "version", "show", "title", "settings", "devices", "cue_lists", "id", "cues", "number",
        "name", "pre_wait", "continue", "actions", "device", "action", "params", "fade", "curve",
        "children", "profile", "foh", "level", "cue", "options", "planned_start", "x",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 100)
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["1", "1.5", "foh", "show", "fader", "1:30", "+1:00", "s-curve", "-2"])
    | st.text(max_size=8)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)

FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FAST
@given(document=DOCUMENTS)
def test_random_documents_never_crash(document: object, catalog: ProfileCatalog) -> None:
    check_outcome(dump(document), catalog)


@FAST
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}\n #&*!|>'\"1.%")), max_size=40))
def test_random_text_never_crashes(text: str, catalog: ProfileCatalog) -> None:
    check_outcome(text, catalog)


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


REPLACEMENTS = st.sampled_from(
    [None, True, -1, 10**400, float("nan"), 2.5, "text", "1:75", [], [1], {}, {"x": 1}]
)


@FAST
@given(data=st.data())
def test_mutated_demo_never_crashes(
    data: st.DataObject, catalog: ProfileCatalog, keynote_data: object
) -> None:
    document = copy.deepcopy(keynote_data)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(document)))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(REPLACEMENTS))
    check_outcome(dump(document), catalog)
