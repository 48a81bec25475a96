"""Loading device profiles from YAML files into a checked, read-only ProfileCatalog."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cuebridge.config.data_files import (
    FileKind,
    load_directories,
    parse_data_file,
    problem_order,
    unreadable,
)
from cuebridge.config.fields import is_name
from cuebridge.config.params import coerce, describe, format_number, suggestion
from cuebridge.config.profile_model import (
    PROFILE_VERSION,
    PROTOCOL_TRANSPORTS,
    ActionSpec,
    ConnectionSpec,
    ParamSpec,
    Profile,
    describe_health,
)
from cuebridge.config.suggest import one_of
from cuebridge.config.yamlpos import DataPath, Document, render_value
from cuebridge.errors import Problem, ProfileError
from cuebridge.render.midi import describe_midi

__all__ = [
    "ActionSpec",
    "ConnectionSpec",
    "ParamSpec",
    "Profile",
    "ProfileCatalog",
    "default_profile_dirs",
    "load_profile",
    "load_profile_text",
]

PROFILES_ENV = "CUEBRIDGE_PROFILES"
CONTROL_PROFILE = "cuebridge"
"""The built-in show-control profile used by the reserved `show` device."""
PROFILE_FILE = FileKind("profile", PROFILE_VERSION, "profile", "profile id")


def default_profile_dirs() -> list[Path]:
    """Directories from $CUEBRIDGE_PROFILES (os.pathsep-separated), then the bundled profiles/."""
    dirs = [Path(entry) for entry in os.environ.get(PROFILES_ENV, "").split(os.pathsep) if entry]
    bundled = Path(__file__).resolve().parents[3] / "profiles"
    if bundled.is_dir() and bundled not in dirs:
        dirs.append(bundled)
    return dirs


def load_profile(path: Path | str) -> Profile:
    """Load one profile file; its id must equal the file's stem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError([unreadable(path, err)]) from err
    return load_profile_text(text, str(path), expected_id=path.stem)


def load_profile_text(text: str, source: str, expected_id: str | None = None) -> Profile:
    """Parse and check profile YAML; raises ProfileError listing every problem."""
    profile, problems = _parse(text, source, expected_id)
    if profile is None or problems:
        raise ProfileError(sorted(problems, key=problem_order))
    return profile


def _parse(text: str, source: str, expected_id: str | None) -> tuple[Profile | None, list[Problem]]:
    _, profile, problems = parse_data_file(
        text, source, PROFILE_FILE, Profile, expected_id, _check_data
    )
    return profile, problems


def _check_data(data: dict[object, object], doc: Document) -> list[Problem]:
    """Checks across fields that the models cannot express, on the raw data."""
    problems: list[Problem] = []
    protocol = data.get("protocol")
    connection = data.get("connection")
    if (
        isinstance(protocol, str)
        and protocol in PROTOCOL_TRANSPORTS
        and isinstance(connection, dict)
    ):
        transport = connection.get("transport")
        allowed = PROTOCOL_TRANSPORTS[protocol]
        if isinstance(transport, str) and transport not in allowed:
            expected = one_of(allowed) if allowed else "no transport"
            message = f"expected {expected} for a {protocol} profile, got {render_value(transport)}"
            problems.append(doc.problem(("connection", "transport"), message))
    on_connect = data.get("on_connect")
    greeting = on_connect.get("params") if isinstance(on_connect, dict) else None
    for param, spec in greeting.items() if isinstance(greeting, dict) else ():
        if isinstance(spec, dict):  # device options fill these: same checks as action params
            problems += check_param_spec(spec, doc, ("on_connect", "params", str(param)))
    actions = data.get("actions")
    if not isinstance(actions, dict):
        return problems
    for action, body in actions.items():
        if not is_name(action):
            problems.append(_bad_name(doc, ("actions", action), "action", action))
        params = body.get("params") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            continue
        for param, spec in params.items():
            path: DataPath = ("actions", str(action), "params", str(param))
            if not is_name(param):
                problems.append(_bad_name(doc, path, "parameter", param))
            if isinstance(spec, dict):
                problems += check_param_spec(spec, doc, path)
    return problems


def _bad_name(doc: Document, path: DataPath, what: str, name: object) -> Problem:
    message = (
        f'expected a {what} name of lowercase letters, digits, "-" or "_", starting with a '
        f"letter, got {render_value(name)}"
    )
    return doc.problem(path, message, at_key=True)


def check_param_spec(spec: dict[object, object], doc: Document, path: DataPath) -> list[Problem]:
    """Consistency of one parameter spec: fade, home, panic, ranges, choices and default."""
    try:
        model = ParamSpec.model_validate(spec)
    except ValueError:
        return []  # the whole-file validation reports these
    problems: list[Problem] = []

    def add(field: str, expected: str, value: object) -> None:
        got = doc.render((*path, field), value)
        problems.append(doc.problem((*path, field), f"expected {expected}, got {got}"))

    numeric = model.type in ("int", "float")
    for field, bound in (("min", model.min), ("max", model.max)):
        if bound is not None and not numeric:
            add(
                field,
                f"no {field} on a {model.type} parameter (only int and float have a range)",
                bound,
            )
    if model.min is not None and model.max is not None and model.min > model.max:
        add("max", f"a max >= min ({format_number(model.min)})", model.max)
    if model.choices is not None and model.type != "string":
        add("choices", f"no choices on a {model.type} parameter (only string has choices)", [])
    elif model.choices is not None and not model.choices:
        add("choices", "at least 1 choice", [])
    if model.fade and not numeric:
        add("fade", f"fade: false on a {model.type} parameter (only int and float fade)", True)
    if model.fade and model.home is None:
        message = 'missing required field "home" (a fading parameter needs its home value)'
        problems.append(doc.problem(path, message))
    if model.home is not None and not model.fade:
        add("home", "home only with fade: true", model.home)
    elif model.home is not None and numeric and coerce(_as_float(model), model.home) is None:
        add("home", describe(_as_float(model)), model.home)
    if model.panic and not model.fade:
        add("panic", "panic only with fade: true", True)
    if model.default is not None and coerce(model, model.default) is None:
        got = doc.render((*path, "default"), model.default) + suggestion(model, model.default)
        problems.append(doc.problem((*path, "default"), f"expected {describe(model)}, got {got}"))
    return problems


def _as_float(model: ParamSpec) -> ParamSpec:
    """The same range as a float parameter: home values need not be whole numbers."""
    return model.model_copy(update={"type": "float"})


class ProfileCatalog:
    """Every known device profile by id; read-only once loaded."""

    def __init__(self, profiles: Iterable[Profile] = ()) -> None:
        self._profiles = {profile.id: profile for profile in profiles}

    @classmethod
    def load(cls, directories: Iterable[Path | str]) -> ProfileCatalog:
        """Load every *.yaml in `directories`; raises one ProfileError listing all problems."""
        profiles, problems = load_directories(
            directories, PROFILE_FILE, _parse, lambda profile: profile.id
        )
        if problems:
            raise ProfileError(sorted(problems, key=problem_order))
        return cls(profiles)

    def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        return self._profiles.get(profile_id)

    def ids(self) -> list[str]:
        """Every profile id, sorted."""
        return sorted(self._profiles)

    def __iter__(self) -> Iterator[Profile]:
        return iter(self._profiles[key] for key in self.ids())

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._profiles

    def describe(self) -> dict[str, Any]:
        """Every profile as JSON-ready data, by id (`cuebridge profiles --json`)."""
        return {profile.id: profile.model_dump(mode="json", exclude_none=True) for profile in self}

    def describe_text(self) -> list[str]:
        """One line per profile and one per action with its parameters, for people."""
        lines: list[str] = []
        for profile in self:
            lines.append(f"{profile.id}: {profile.name} ({profile.protocol})")
            for name, action in profile.actions.items():
                params = ", ".join(
                    f"{param} ({describe(spec)}{', fades' if spec.fade else ''}"
                    f"{'' if spec.required else ', optional'})"
                    for param, spec in action.params.items()
                )
                lines.append(f"  {name}: {params}" if params else f"  {name}")
                lines += [f"    sends {message}" for message in describe_midi(action)]
            lines += [f"  {line}" for line in describe_health(profile)]
        return lines
