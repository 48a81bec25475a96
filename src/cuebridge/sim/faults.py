"""Fault switches that tell their simulator when they change, and the `--fault` option syntax."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Final

from cuebridge.sim.base import Faults

FAULT_FIELDS: Final = ("offline", "drop_rate", "delay", "ignore_probes")
MAX_DELAY: Final = 60.0
FAULT_SYNTAX: Final = (
    "offline, online, drop=<0..1>, delay=<seconds>, ignore-probes, answer-probes or clear"
)
"""What `--fault` (and the standalone simulator's `fault` command) accepts."""


class WatchedFaults(Faults):
    """Faults that check each value as it is set and then call `on_change`.

    Setting an unknown field, a drop rate outside 0..1 or a negative delay raises ValueError,
    so a bad value from the API or the command line cannot reach a running simulator.
    """

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.__dict__["_on_change"] = on_change

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in FAULT_FIELDS:
            raise AttributeError(f"no fault named {name!r}; faults are {', '.join(FAULT_FIELDS)}")
        super().__setattr__(name, _checked(name, value))
        callback = self.__dict__.get("_on_change")
        if callback is not None:
            callback()

    def clear(self) -> None:
        """Back to a healthy device."""
        self.offline = False
        self.drop_rate = 0.0
        self.delay = 0.0
        self.ignore_probes = False


def _checked(name: str, value: Any) -> Any:
    if name in ("offline", "ignore_probes"):
        if not isinstance(value, bool):
            raise ValueError(f"fault {name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"fault {name} must be a number, got {value!r}")
    if name == "drop_rate" and not 0.0 <= value <= 1.0:
        raise ValueError(f"fault drop_rate must be between 0 and 1, got {value!r}")
    if name == "delay" and not 0.0 <= value <= MAX_DELAY:
        raise ValueError(f"fault delay must be 0 to {MAX_DELAY:g} seconds, got {value!r}")
    return float(value)


def parse_fault(spec: str) -> dict[str, bool | float]:
    """The fault settings one `--fault` value asks for, e.g. "drop=0.2" -> {"drop_rate": 0.2}.

    Raises ValueError naming the accepted forms when `spec` is not one of them.
    """
    text = spec.strip().lower().replace("_", "-")
    key, _, raw = text.partition("=")
    flags: dict[str, dict[str, bool | float]] = {
        "offline": {"offline": True},
        "online": {"offline": False},
        "ignore-probes": {"ignore_probes": True},
        "answer-probes": {"ignore_probes": False},
        "clear": {"offline": False, "drop_rate": 0.0, "delay": 0.0, "ignore_probes": False},
    }
    if not raw and key in flags:
        return dict(flags[key])
    fields = {"drop": "drop_rate", "drop-rate": "drop_rate", "delay": "delay"}
    if raw and key in fields:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"fault {spec!r}: {raw!r} is not a number") from None
        name = fields[key]
        _checked(name, value)
        return {name: value}
    raise ValueError(f"unknown fault {spec!r}; expected {FAULT_SYNTAX}")


def apply_faults(faults: Faults, specs: Iterable[str]) -> None:
    """Apply `--fault` values in order (later ones win); ValueError on the first bad one."""
    settings: dict[str, bool | float] = {}
    for spec in specs:
        settings.update(parse_fault(spec))
    for name, value in settings.items():
        setattr(faults, name, value)
