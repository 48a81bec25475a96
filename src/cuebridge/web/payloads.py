"""Validates panel and API payloads and turns them into engine commands or fault settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cuebridge.core.commands import (
    Command,
    Go,
    GoCue,
    LoadCue,
    Panic,
    Pause,
    Reset,
    Resume,
    StandbyNext,
    StandbyPrevious,
    Stop,
)
from cuebridge.core.model import Cue, Show

MAX_FAULT_DELAY = 60.0
"""Seconds: a longer injected delay is surely a typo."""


class Rejection(Exception):
    """A request refused before it reached the engine, with a code the panel understands."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class _CommandSpec:
    fields: frozenset[str]
    build: Callable[[Mapping[str, Any], str, str], Command]


def _cue(p: Mapping[str, Any]) -> str:
    return str(p["cue"])


def _opt_cue(p: Mapping[str, Any]) -> str | None:
    return None if p.get("cue") is None else str(p["cue"])


def _opt_list(p: Mapping[str, Any]) -> str | None:
    return None if p.get("list") is None else str(p["list"])


COMMANDS: dict[str, _CommandSpec] = {
    "go": _CommandSpec(
        frozenset({"list"}), lambda p, s, r: Go(cue_list=_opt_list(p), source=s, role=r)
    ),
    "stop": _CommandSpec(
        frozenset({"cue"}), lambda p, s, r: Stop(number=_opt_cue(p), source=s, role=r)
    ),
    "pause": _CommandSpec(
        frozenset({"cue"}), lambda p, s, r: Pause(number=_opt_cue(p), source=s, role=r)
    ),
    "resume": _CommandSpec(
        frozenset({"cue"}), lambda p, s, r: Resume(number=_opt_cue(p), source=s, role=r)
    ),
    "panic": _CommandSpec(frozenset(), lambda p, s, r: Panic(source=s, role=r)),
    "standby_next": _CommandSpec(
        frozenset({"list"}), lambda p, s, r: StandbyNext(cue_list=_opt_list(p), source=s, role=r)
    ),
    "standby_previous": _CommandSpec(
        frozenset({"list"}),
        lambda p, s, r: StandbyPrevious(cue_list=_opt_list(p), source=s, role=r),
    ),
    "load": _CommandSpec(
        frozenset({"cue"}), lambda p, s, r: LoadCue(number=_cue(p), source=s, role=r)
    ),
    "go_cue": _CommandSpec(
        frozenset({"cue"}), lambda p, s, r: GoCue(number=_cue(p), source=s, role=r)
    ),
    "reset": _CommandSpec(frozenset(), lambda p, s, r: Reset(source=s, role=r)),
}
"""Operator commands by event name: the fields each accepts and how it becomes a command."""

REQUIRED_CUE = frozenset({"load", "go_cue"})


def as_object(payload: object) -> dict[str, Any]:
    """The payload as a JSON object (a missing payload is an empty object)."""
    if payload is None:
        return {}
    if not isinstance(payload, dict) or not all(isinstance(key, str) for key in payload):
        raise Rejection("bad-request", f"payload must be a JSON object, not {_kind(payload)}")
    return payload


def request_id(payload: object) -> str | int | None:
    """The client's `id` to echo back, when it sent a usable one."""
    if isinstance(payload, dict):
        value = payload.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool) and len(str(value)) < 100:
            return value
    return None


def cue_numbers(show: Show) -> set[str]:
    """Every cue number in the show, children included."""
    numbers: set[str] = set()
    stack: list[Cue] = [cue for cue_list in show.cue_lists for cue in cue_list.cues]
    while stack:
        cue = stack.pop()
        numbers.add(cue.number)
        stack.extend(cue.children)
    return numbers


def build_command(event: str, payload: object, show: Show, source: str, role: str) -> Command:
    """Check an operator command's payload against the show and build the engine command."""
    spec = COMMANDS[event]
    fields = as_object(payload)
    _check_fields(fields, spec.fields)
    for name in sorted(spec.fields & fields.keys()):
        value = fields[name]
        if value is None and not (name == "cue" and event in REQUIRED_CUE):
            continue
        if not isinstance(value, str) or not value.strip():
            raise Rejection("bad-request", f"'{name}' must be a non-empty string, not {value!r}")
    if event in REQUIRED_CUE and fields.get("cue") is None:
        raise Rejection("bad-request", f"'{event}' needs a 'cue' (a cue number such as \"12\")")
    cue = fields.get("cue")
    if cue is not None and cue not in cue_numbers(show):
        raise Rejection("unknown-cue", f"there is no cue {cue!r} in this show")
    cue_list = fields.get("list")
    if cue_list is not None and cue_list not in {cl.id for cl in show.cue_lists}:
        known = ", ".join(cl.id for cl in show.cue_lists)
        raise Rejection("bad-request", f"there is no cue list {cue_list!r} (lists: {known})")
    return spec.build(fields, source, role)


@dataclass(frozen=True, slots=True)
class FaultRequest:
    """Fault switches to change on one simulator; None leaves a switch as it is."""

    device: str
    offline: bool | None = None
    drop_rate: float | None = None
    delay: float | None = None
    ignore_probes: bool | None = None


def build_fault(payload: object, device: str | None = None) -> FaultRequest:
    """Check a fault payload; `device` comes from the URL for the HTTP API."""
    fields = as_object(payload)
    _check_fields(fields, {"device", "offline", "drop_rate", "delay", "ignore_probes"})
    name = fields.get("device", device) if device is None else device
    if not isinstance(name, str) or not name:
        raise Rejection("bad-request", "'device' must be the name of a simulated device")
    for flag in ("offline", "ignore_probes"):
        if flag in fields and not isinstance(fields[flag], bool):
            raise Rejection("bad-request", f"'{flag}' must be true or false, not {fields[flag]!r}")
    drop_rate = _number(fields, "drop_rate", 0.0, 1.0)
    delay = _number(fields, "delay", 0.0, MAX_FAULT_DELAY)
    return FaultRequest(
        device=name,
        offline=fields.get("offline"),
        drop_rate=drop_rate,
        delay=delay,
        ignore_probes=fields.get("ignore_probes"),
    )


def _number(fields: Mapping[str, Any], name: str, low: float, high: float) -> float | None:
    if name not in fields:
        return None
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Rejection("bad-request", f"'{name}' must be a number from {low} to {high}")
    return float(value)


def _check_fields(fields: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> None:
    extra = sorted(set(fields) - set(allowed) - {"id"})
    if extra:
        expected = ", ".join(sorted(allowed)) or "no fields"
        unexpected = ", ".join(extra)
        raise Rejection("bad-request", f"unexpected field(s) {unexpected}; expected {expected}")


def _kind(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), type(value).__name__)
