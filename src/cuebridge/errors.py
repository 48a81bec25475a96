"""Error hierarchy: user input that is wrong (show, profile) versus devices that misbehave."""

from __future__ import annotations

from dataclasses import dataclass


class CuebridgeError(Exception):
    """Root of every error cuebridge raises on purpose."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One located problem in an input file: where, which field, what was expected."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InputFileError(CuebridgeError):
    """An input file has one or more problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class ShowError(InputFileError):
    """A show file is invalid."""


class ProfileError(InputFileError):
    """A device profile is invalid."""


class DeviceError(CuebridgeError):
    """A device could not be reached or rejected what was sent."""
