"""Loading DMX fixture types from YAML files into a checked, read-only FixtureLibrary."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from cuebridge.config.data_files import (
    FileKind,
    load_directories,
    parse_data_file,
    problem_order,
)
from cuebridge.config.fields import is_name
from cuebridge.config.fixture_model import (
    FIXTURE_TYPE_VERSION,
    RESERVED_ATTRIBUTES,
    FixtureTypeFile,
)
from cuebridge.config.profiles import default_profile_dirs
from cuebridge.config.yamlpos import DataPath, Document
from cuebridge.core.dmx_patch import Attribute, FixtureType
from cuebridge.errors import Problem, ProfileError

FIXTURES_DIR = "fixtures"
"""Fixture types live in this subdirectory of each profile directory."""
FIXTURE_TYPE_FILE = FileKind("fixture type", FIXTURE_TYPE_VERSION, "fixture_type", "fixture type")


def default_fixture_dirs() -> list[Path]:
    """The `fixtures/` directory of every default profile directory that has one."""
    return [
        path / FIXTURES_DIR for path in default_profile_dirs() if (path / FIXTURES_DIR).is_dir()
    ]


def load_fixture_type_text(text: str, source: str, expected_id: str | None = None) -> FixtureType:
    """Parse and check one fixture type file; raises ProfileError listing every problem."""
    fixture_type, problems = _parse(text, source, expected_id)
    if fixture_type is None or problems:
        raise ProfileError(sorted(problems, key=problem_order))
    return fixture_type


def _parse(
    text: str, source: str, expected_id: str | None
) -> tuple[FixtureType | None, list[Problem]]:
    doc, model, problems = parse_data_file(
        text, source, FIXTURE_TYPE_FILE, FixtureTypeFile, expected_id
    )
    if model is None:
        return None, problems
    problems += _check_layout(model, doc)
    if problems:
        return None, problems
    return _fixture_type(model), problems


def _check_layout(model: FixtureTypeFile, doc: Document) -> list[Problem]:
    """Names, one attribute per channel, and a footprint that holds every channel."""
    problems: list[Problem] = []
    owners: dict[int, str] = {}
    for name, attribute in model.attributes.items():
        path: DataPath = ("attributes", name)
        if not is_name(name):
            message = (
                'expected an attribute name of lowercase letters, digits, "-" or "_", '
                f'starting with a letter, got "{name}"'
            )
            problems.append(doc.problem(path, message, at_key=True))
        elif name in RESERVED_ATTRIBUTES:
            message = f'attribute name "{name}" is reserved by the fixture action; choose another'
            problems.append(doc.problem(path, message, at_key=True))
        for field, channel in (("channel", attribute.channel), ("fine", attribute.fine)):
            if channel is None:
                continue
            if channel in owners:
                message = (
                    f"channel {channel} is already used by {owners[channel]} "
                    "(each channel belongs to one attribute)"
                )
                problems.append(doc.problem((*path, field), message))
            else:
                owners[channel] = name if field == "channel" else f"{name} (fine)"
    highest = max(owners, default=1)
    if model.footprint is not None and model.footprint < highest:
        message = f"expected a footprint of at least {highest} (channel {highest} is used)"
        problems.append(doc.problem(("footprint",), f"{message}, got {model.footprint}"))
    return problems


def _fixture_type(model: FixtureTypeFile) -> FixtureType:
    attributes = {
        name: Attribute(
            name=name,
            channel=spec.channel,
            fine=spec.fine,
            home=spec.home,
            panic=spec.panic,
            snap=spec.snap,
        )
        for name, spec in model.attributes.items()
    }
    used = max(channel for spec in attributes.values() for channel in spec.channels)
    return FixtureType(
        id=model.fixture_type,
        name=model.name,
        attributes=attributes,
        footprint=model.footprint or used,
    )


class FixtureLibrary:
    """Every known fixture type by id; read-only once loaded."""

    def __init__(self, types: Iterable[FixtureType] = ()) -> None:
        self._types = {fixture_type.id: fixture_type for fixture_type in types}

    @classmethod
    def load(cls, directories: Iterable[Path | str]) -> FixtureLibrary:
        """Load every *.yaml in `directories`; raises one ProfileError listing all problems."""
        library, problems = cls.load_checked(directories)
        if problems:
            raise ProfileError(sorted(problems, key=problem_order))
        return library

    @classmethod
    def load_checked(
        cls, directories: Iterable[Path | str]
    ) -> tuple[FixtureLibrary, list[Problem]]:
        """Load what loads; return the library and the problems of the files that did not."""
        types, problems = load_directories(
            directories, FIXTURE_TYPE_FILE, _parse, lambda fixture_type: fixture_type.id
        )
        return cls(types), problems

    def get(self, type_id: str) -> FixtureType | None:
        """The fixture type with this id, or None."""
        return self._types.get(type_id)

    def ids(self) -> list[str]:
        """Every fixture type id, sorted."""
        return sorted(self._types)

    def __iter__(self) -> Iterator[FixtureType]:
        return iter(self._types[key] for key in self.ids())

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types
