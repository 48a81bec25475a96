"""Effects: what the engine wants sent to devices; drivers turn them into packets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cuebridge.core.curves import Curve, fade_progress, fade_value
from cuebridge.core.model import ParamKey, ParamValue


@dataclass(frozen=True, slots=True, kw_only=True)
class SendAction:
    """Send an action now with these parameters; it cancels any fade on the same target."""

    device: str
    action: str
    params: Mapping[str, ParamValue]
    cue: str
    fade_params: tuple[str, ...] = ()
    """Which of `params` are fadeable values rather than part of the target's identity."""

    @property
    def key(self) -> ParamKey:
        """Target identity, shared with the fades of the same action (see Action.key)."""
        return _key(self.device, self.action, self.params, self.fade_params)


@dataclass(frozen=True, slots=True, kw_only=True)
class StartFade:
    """Move numeric parameters from `start` to `end` between `begin` and `begin + duration`.

    `params` holds the identifying parameters plus the end values. Times are engine
    (monotonic) seconds. A fade replaces any fade on the same target; a resumed fade is
    re-sent with `begin` shifted by the time it was paused.
    """

    device: str
    action: str
    params: Mapping[str, ParamValue]
    start: Mapping[str, float]
    end: Mapping[str, float]
    curve: Curve
    begin: float
    duration: float
    cue: str

    @property
    def key(self) -> ParamKey:
        """Target identity (see Action.key)."""
        return _key(self.device, self.action, self.params, tuple(self.end))

    def values_at(self, at: float) -> dict[str, float]:
        """Sample the fading parameters at engine time `at`."""
        progress = fade_progress(self.begin, self.duration, at)
        return {
            name: fade_value(self.start[name], self.end[name], self.curve, progress)
            for name in self.end
        }

    def params_at(self, at: float) -> dict[str, ParamValue]:
        """All parameters of the action as they should be sent at engine time `at`."""
        return {**self.params, **self.values_at(at)}


Effect = SendAction | StartFade


def _key(
    device: str, action: str, params: Mapping[str, ParamValue], fading: tuple[str, ...]
) -> ParamKey:
    return (device, action, tuple(sorted((k, v) for k, v in params.items() if k not in fading)))
