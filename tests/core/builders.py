"""Small builders for engine tests: shows made in code, no files."""

from __future__ import annotations

from cuebridge.core.curves import Curve
from cuebridge.core.model import Action, ContinueMode, Cue, CueList, ParamValue, Show, ShowSettings

HOME = -90.0


def level(
    channel: int,
    value: float,
    fade: float = 0.0,
    curve: Curve = Curve.LINEAR,
    device: str = "mixer",
) -> Action:
    """A fadeable mixer fader action, home -90 dB, brought home by panic."""
    return Action(
        device=device,
        action="fader",
        params={"channel": channel, "level": value},
        fade=fade,
        curve=curve,
        fade_params=("level",),
        home={"level": HOME},
        panic_params=("level",),
    )


def position(fixture: str, pan: float, fade: float = 0.0) -> Action:
    """A fadeable parameter that panic leaves alone (a moving light's pan)."""
    return Action(
        device="lx",
        action="pan",
        params={"fixture": fixture, "pan": pan},
        fade=fade,
        fade_params=("pan",),
        home={"pan": 0.0},
    )


def send(name: str = "scene", **params: ParamValue) -> Action:
    """An instant action with nothing to fade."""
    return Action(device="mixer", action=name, params=params)


def control(verb: str, target: str) -> Action:
    """A control action on another cue."""
    return Action(device="show", action=verb, params={"cue": target})


def cue(
    number: str,
    *actions: Action,
    pre: float = 0.0,
    post: float = 0.0,
    cont: str = "none",
    armed: bool = True,
    children: tuple[Cue, ...] = (),
) -> Cue:
    """A cue with the given waits, continue mode and actions."""
    return Cue(
        number=number,
        name=f"Cue {number}",
        pre_wait=pre,
        post_wait=post,
        continue_mode=ContinueMode(cont),
        armed=armed,
        actions=actions,
        children=children,
    )


def show(
    *cues: Cue, min_go: float = 0.0, panic: float = 2.0, extra: tuple[CueList, ...] = ()
) -> Show:
    """A one-list show (plus extra lists) with explicit settings."""
    main = CueList(id="main", name="Main", cues=cues)
    return Show(
        title="Test",
        cue_lists=(main, *extra),
        settings=ShowSettings(min_go_interval=min_go, panic_time=panic),
    )
