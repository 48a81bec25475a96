"""Show file format versions, and upgrading older documents one version at a time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from cuebridge.config.yamlpos import Document, render_value
from cuebridge.errors import Problem

Migration = Callable[[dict[object, object]], dict[object, object]]

CURRENT_VERSION = 1
"""The show file format version this cuebridge reads and writes."""

MIGRATIONS: Mapping[int, Migration] = MappingProxyType({})
"""Version N -> function upgrading a version-N document to N + 1.

A migration takes the plain data of a document and returns new data; it must not change
its argument in place (YAML aliases share objects). Problems found after a migration are
located at the nearest path that still exists in the file.
"""


def upgrade(
    data: dict[object, object], doc: Document
) -> tuple[dict[object, object] | None, list[Problem]]:
    """Bring `data` to CURRENT_VERSION: (new data, problems); data is None when hopeless.

    A missing or invalid version is reported and the document is read as the current
    version, so that its other problems are reported too.
    """
    if "version" not in data:
        message = f'missing required field "version" (expected {CURRENT_VERSION})'
        return {**data, "version": CURRENT_VERSION}, [doc.problem((), message)]
    version = data["version"]
    if type(version) is not int or version < 1:
        got = doc.render(("version",), version)
        message = f"expected a format version such as {CURRENT_VERSION}, got {got}"
        return {**data, "version": CURRENT_VERSION}, [doc.problem(("version",), message)]
    if version > CURRENT_VERSION:
        message = (
            f"format version {version} is newer than this cuebridge reads "
            f"({CURRENT_VERSION}); upgrade cuebridge"
        )
        return None, [doc.problem(("version",), message)]
    while version < CURRENT_VERSION:
        migration = MIGRATIONS.get(version)
        if migration is None:
            message = f"cannot read format version {version}: no upgrade to {version + 1}"
            return None, [doc.problem(("version",), message)]
        try:
            data = migration(data)
        except Exception as err:  # a migration meeting malformed old data must not crash
            message = f"cannot upgrade from format version {version}: {render_value(str(err))}"
            return None, [doc.problem(("version",), message)]
        version += 1
        data = {**data, "version": version}
    return data, []
