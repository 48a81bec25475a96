"""Show files: load YAML, migrate, validate, check and resolve into a core.model.Show."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cuebridge.config import migrations
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.show_build import ShowBuilder
from cuebridge.config.show_check import ShowChecker
from cuebridge.config.show_model import ShowFile
from cuebridge.config.validation import validate
from cuebridge.config.yamlpos import parse_document
from cuebridge.core.model import Show
from cuebridge.errors import Problem, ShowError

__all__ = ["ShowFile", "load_show", "load_show_text", "show_json_schema"]

RAW_KEYS = ("number", "planned_start", "timecode")
"""Unquoted numbers under these keys keep their text: `number: 1.10` is cue "1.10"."""
OPAQUE_KEYS = ("params", "options")
"""Free-form mappings whose keys are parameter names, not show file fields."""


def load_show(path: Path | str, catalog: ProfileCatalog | None = None) -> Show:
    """Load and resolve a show file; raises ShowError listing every problem found."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        message = f"cannot read file: {reason}"
        raise ShowError(
            [Problem(file=str(path), line=1, column=1, path="", message=message)]
        ) from err
    return load_show_text(text, str(path), catalog)


def load_show_text(text: str, source: str, catalog: ProfileCatalog | None = None) -> Show:
    """Load and resolve show YAML given as text; `source` names it in problems."""
    if catalog is None:
        catalog = ProfileCatalog.load(default_profile_dirs())
    with gc_paused():
        try:
            return _load(text, source, catalog)
        except RecursionError:
            message = "the document is nested too deeply"
            raise ShowError(
                [Problem(file=source, line=1, column=1, path="", message=message)]
            ) from None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large file's objects are built.

    Parsing allocates hundreds of thousands of long-lived objects; each triggers the
    collector's full passes over all of them, which made a 5,000-cue load five times
    slower. Nothing built here is garbage until the load ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(text: str, source: str, catalog: ProfileCatalog) -> Show:
    doc = parse_document(text, source, raw_keys=RAW_KEYS, opaque_keys=OPAQUE_KEYS)
    problems = list(doc.problems)
    if not doc.parsed:
        raise ShowError(problems)
    if not isinstance(doc.data, dict):
        got = doc.render((), doc.data)
        message = f"expected a mapping with version, show, devices and cue_lists, got {got}"
        raise ShowError([*problems, doc.problem((), message)])
    data, found = migrations.upgrade(doc.data, doc)
    problems += found
    if data is None:
        raise ShowError(_ordered(problems))
    model, invalid = validate(ShowFile, data, doc)
    checker = ShowChecker(data, doc, catalog)
    problems += invalid + checker.run()
    if problems or model is None:
        raise ShowError(_ordered(problems))
    return ShowBuilder(model, checker, doc).build()


def show_json_schema() -> dict[str, Any]:
    """JSON Schema of the show file format, for editors and `cuebridge schema`."""
    schema = ShowFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: (problem.line, problem.column))
