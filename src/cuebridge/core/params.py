"""Parameter store: the last value of every fadeable target, fades in flight and who owns them.

Rules:
1. The latest action on a target takes precedence: it starts from the target's current
   value (sampled at its start time, mid-fade if need be) and takes ownership of it.
2. A target nobody has set yet starts from its profile's home value.
3. Pausing freezes a fade where it is; resuming re-sends it shifted by the paused time, so
   the curve and the end time relative to the cue are kept exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from cuebridge.core.curves import Curve
from cuebridge.core.effects import Effect, SendAction, StartFade
from cuebridge.core.model import Action, ParamKey, ParamValue

PANIC_OWNER = -1
"""Owner id of the fades panic starts."""


@dataclass(slots=True, kw_only=True)
class _Target:
    device: str
    action: str
    identity: dict[str, ParamValue]
    values: dict[str, float]
    home: dict[str, float]
    panic_params: tuple[str, ...]
    cue: str = ""
    fade: StartFade | None = None
    owner: int | None = None
    paused_at: float | None = None

    def current(self, at: float) -> dict[str, float]:
        if self.fade is None:
            return dict(self.values)
        sampled = self.fade.values_at(self.paused_at if self.paused_at is not None else at)
        return {**self.values, **sampled}

    def settle(self, at: float) -> None:
        """Fold a fade that has reached its end into the static values."""
        fade = self.fade
        if fade is not None and self.paused_at is None and at >= fade.begin + fade.duration:
            self.values.update(fade.end)
            self.fade = None
            self.owner = None

    def send(self, values: Mapping[str, float], cue: str) -> SendAction:
        return SendAction(
            device=self.device,
            action=self.action,
            params={**self.identity, **values},
            cue=cue,
            fade_params=tuple(values),
        )


class ParamStore:
    """Every fadeable target the show has touched, with its value and any fade in flight."""

    def __init__(self) -> None:
        self._targets: dict[ParamKey, _Target] = {}

    def apply(self, action: Action, *, cue: str, owner: int, at: float) -> Effect:
        """Turn an action that starts at `at` into its effect and record the new target state."""
        if not action.fade_params:
            return SendAction(
                device=action.device, action=action.action, params=action.params, cue=cue
            )
        target = self._target_for(action, at)
        end = {name: float(action.params[name]) for name in action.fade_params}
        target.home.update(action.home)
        target.panic_params = action.panic_params
        target.cue = cue
        if action.fade <= 0.0:
            target.values.update(end)
            target.fade, target.owner, target.paused_at = None, None, None
            return SendAction(
                device=action.device,
                action=action.action,
                params=action.params,
                cue=cue,
                fade_params=action.fade_params,
            )
        start = target.current(at)
        target.values.update(start)
        fade = StartFade(
            device=action.device,
            action=action.action,
            params=action.params,
            start={name: start[name] for name in action.fade_params},
            end=end,
            curve=action.curve,
            begin=at,
            duration=action.fade,
            cue=cue,
        )
        target.fade, target.owner, target.paused_at = fade, owner, None
        return fade

    def pause(self, owners: set[int], at: float) -> list[Effect]:
        """Freeze the fades these owners run; the device gets the frozen values once."""
        effects: list[Effect] = []
        for target in self._owned(owners, at):
            if target.paused_at is None and target.fade is not None:
                target.paused_at = at
                effects.append(target.send(target.fade.values_at(at), target.cue))
        return effects

    def resume(self, owners: set[int], at: float) -> list[Effect]:
        """Restart paused fades of these owners, shifted by the time they were paused."""
        effects: list[Effect] = []
        for target in self._owned(owners, at):
            if target.paused_at is not None and target.fade is not None:
                shifted = replace(target.fade, begin=target.fade.begin + (at - target.paused_at))
                target.fade, target.paused_at = shifted, None
                effects.append(shifted)
        return effects

    def stop(self, owners: set[int], at: float) -> list[Effect]:
        """Stop the fades of these owners where they are now."""
        return self._freeze(self._owned(owners, at), at)

    def freeze_all(self, at: float) -> list[Effect]:
        """Stop every fade in flight, panic included, where it is now."""
        return self._freeze([t for t in self._settled(at) if t.fade is not None], at)

    def panic(self, at: float, duration: float, curve: Curve = Curve.LINEAR) -> list[Effect]:
        """Fade every panic parameter home over `duration`; freeze every other fade."""
        effects: list[Effect] = []
        for target in self._settled(at):
            current = target.current(at)
            was_running = target.fade is not None and target.paused_at is None
            target.values.update(current)
            target.fade, target.owner, target.paused_at = None, None, None
            homes = {name: target.home[name] for name in target.panic_params}
            if not homes:
                if was_running:
                    effects.append(target.send(current, target.cue))
                continue
            if duration <= 0.0:
                target.values.update(homes)
                effects.append(target.send(homes, "panic"))
                continue
            fade = StartFade(
                device=target.device,
                action=target.action,
                params={**target.identity, **homes},
                start={name: current[name] for name in homes},
                end=homes,
                curve=curve,
                begin=at,
                duration=duration,
                cue="panic",
            )
            target.fade, target.owner = fade, PANIC_OWNER
            effects.append(fade)
        return effects

    def cut_panic(self, at: float) -> list[Effect]:
        """Jump every panic fade still in flight straight to its end values."""
        effects: list[Effect] = []
        for target in self._owned({PANIC_OWNER}, at):
            if target.fade is not None:
                target.values.update(target.fade.end)
                effects.append(target.send(target.fade.end, "panic"))
                target.fade, target.owner = None, None
        return effects

    def release(self, owners: set[int]) -> None:
        """Forget ownership without touching the fades (they run to their end)."""
        for target in self._targets.values():
            if target.owner in owners:
                target.owner = None

    def value(self, key: ParamKey, at: float) -> dict[str, float] | None:
        """Current values of a target, or None if the show never touched it."""
        target = self._targets.get(key)
        return None if target is None else target.current(at)

    def fades_in_flight(self, at: float) -> int:
        """How many targets are fading (or paused mid-fade) at `at`."""
        return sum(1 for target in self._settled(at) if target.fade is not None)

    def _target_for(self, action: Action, at: float) -> _Target:
        key = action.key
        target = self._targets.get(key)
        if target is None:
            target = _Target(
                device=action.device,
                action=action.action,
                identity=dict(key[2]),
                values=dict(action.home),
                home=dict(action.home),
                panic_params=action.panic_params,
            )
            self._targets[key] = target
        target.settle(at)
        return target

    def _settled(self, at: float) -> Iterable[_Target]:
        for target in self._targets.values():
            target.settle(at)
            yield target

    def _owned(self, owners: set[int], at: float) -> list[_Target]:
        return [t for t in self._settled(at) if t.owner is not None and t.owner in owners]

    def _freeze(self, targets: list[_Target], at: float) -> list[Effect]:
        effects: list[Effect] = []
        for target in targets:
            current = target.current(at)
            if target.paused_at is None:
                effects.append(target.send(current, target.cue))
            target.values.update(current)
            target.fade, target.owner, target.paused_at = None, None, None
        return effects
