"""Loading folders of versioned YAML data files (profiles, fixture types) with located errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from cuebridge.config.fields import is_name
from cuebridge.config.validation import validate
from cuebridge.config.yamlpos import Document, parse_document
from cuebridge.errors import Problem

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT")

DataCheck = Callable[[dict[object, object], Document], list[Problem]]
"""Checks on a file's raw mapping that its model cannot express."""
ParseFile = Callable[[str, str, str], tuple[ItemT | None, list[Problem]]]
"""(text, source, expected id) -> the item (None when unusable) and its problems."""


@dataclass(frozen=True, slots=True)
class FileKind:
    """One kind of data file: its name in messages, format version and id key."""

    name: str
    """As in "profile format version 3 is newer than ..."."""
    version: int
    """The newest format version this cuebridge reads."""
    id_key: str
    """The top-level key holding the id, which must equal the file name's stem."""
    duplicate: str
    """As in 'duplicate profile id "x": also in ...'."""


def parse_data_file(
    text: str,
    source: str,
    kind: FileKind,
    model: type[ModelT],
    expected_id: str | None,
    check_data: DataCheck | None = None,
) -> tuple[Document, ModelT | None, list[Problem]]:
    """Parse, refuse a newer format version, validate as `model` and check the id.

    `check_data` runs on the raw mapping once the file has been validated.
    """
    doc = parse_document(text, source)
    problems = list(doc.problems)
    if not doc.parsed:
        return doc, None, problems
    data = doc.data
    if isinstance(data, dict):
        version = data.get("version")
        if type(version) is int and version > kind.version:
            message = (
                f"{kind.name} format version {version} is newer than this cuebridge reads "
                f"({kind.version}); upgrade cuebridge"
            )
            return doc, None, [*problems, doc.problem(("version",), message)]
    result, invalid = validate(model, data, doc)
    problems += invalid
    if isinstance(data, dict):
        found = data.get(kind.id_key)
        if expected_id is not None and is_name(found) and found != expected_id:
            message = f'expected the file name\'s stem "{expected_id}", got "{found}"'
            problems.append(doc.problem((kind.id_key,), message))
        if check_data is not None:
            problems += check_data(data, doc)
    return doc, result, problems


def load_directories(
    directories: Iterable[Path | str],
    kind: FileKind,
    parse: ParseFile[ItemT],
    id_of: Callable[[ItemT], str],
) -> tuple[list[ItemT], list[Problem]]:
    """Load every *.yaml in `directories` (each once); what loaded, and every problem."""
    items: dict[str, tuple[ItemT, str]] = {}
    problems: list[Problem] = []
    seen: set[Path] = set()
    for directory in map(Path, directories):
        if directory.resolve() in seen:
            continue
        seen.add(directory.resolve())
        if not directory.is_dir():
            problems.append(unreadable(directory, NotADirectoryError("not a directory")))
            continue
        for path in sorted(directory.glob("*.yaml")):
            problems += _load_into(items, path, kind, parse, id_of)
    return [item for item, _ in items.values()], problems


def _load_into(
    items: dict[str, tuple[ItemT, str]],
    path: Path,
    kind: FileKind,
    parse: ParseFile[ItemT],
    id_of: Callable[[ItemT], str],
) -> list[Problem]:
    """Load one file into `items` (id -> item, file); return its problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return [unreadable(path, err)]
    item, problems = parse(text, str(path), path.stem)
    if item is None or problems:
        return problems
    item_id = id_of(item)
    if item_id in items:
        message = f'duplicate {kind.duplicate} "{item_id}": also in {items[item_id][1]}'
        return [parse_document(text, str(path)).problem((kind.id_key,), message)]
    items[item_id] = (item, str(path))
    return []


def unreadable(path: Path, err: Exception) -> Problem:
    """A file (or directory) that could not be read, located at its first line."""
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    return Problem(file=str(path), line=1, column=1, path="", message=f"cannot read file: {reason}")


def problem_order(problem: Problem) -> tuple[str, int, int]:
    """Sort key: by file, then position."""
    return problem.file, problem.line, problem.column
