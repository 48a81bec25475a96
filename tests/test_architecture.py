"""The pure layers import no I/O: core and protocols never touch sockets, clocks or threads."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cuebridge"
FORBIDDEN = {
    "asyncio",
    "socket",
    "selectors",
    "threading",
    "time",
    "aiohttp",
    "socketio",
    "rtmidi",
    "pythonosc",
    "sacn",
    "mido",
    "logging",
    "subprocess",
    "os",
}
PURE_PACKAGES = ["core", "protocols", "render"]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_import_no_io(package: str) -> None:
    files = sorted((SRC / package).glob("**/*.py"))
    assert files, f"no modules found in {package}"
    offenders = {
        str(path.relative_to(SRC)): sorted(imported_modules(path) & FORBIDDEN) for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_depends_on_no_other_cuebridge_layer() -> None:
    for path in (SRC / "core").glob("**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("cuebridge.")
            ):
                assert node.module.startswith("cuebridge.core"), (
                    f"{path.name} imports {node.module}"
                )


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(SRC))
        for path in SRC.glob("**/*.py")
        if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []
