"""Benchmark: the cue engine's cost per call with 500 fades in flight; prints figures."""

from __future__ import annotations

import statistics
import time

from cuebridge.core.commands import Go, Pause, Resume
from cuebridge.core.curves import Curve
from cuebridge.core.engine import CueEngine
from cuebridge.core.model import Action, Cue, CueList, Show, ShowSettings
from machine import describe_machine

FADES = 500
ROUNDS = 200


def fade_show(fades: int) -> Show:
    """Cue 1 starts `fades` 10-second fades on distinct channels; cue 2 takes them over."""

    def actions(target: float) -> tuple[Action, ...]:
        return tuple(
            Action(
                device="lx",
                action="level",
                params={"universe": 1 + i // 512, "address": 1 + i % 512, "level": target},
                fade=10.0,
                curve=Curve.S_CURVE,
                fade_params=("level",),
                home={"level": 0.0},
                panic_params=("level",),
            )
            for i in range(fades)
        )

    cues = (Cue(number="1", actions=actions(100.0)), Cue(number="2", actions=actions(20.0)))
    return Show(
        title="bench",
        cue_lists=(CueList(id="main", name="Main", cues=cues),),
        settings=ShowSettings(min_go_interval=0.0),
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(label: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{label:<46} median {statistics.median(ms):7.3f} ms   p99 {percentile(ms, 0.99):7.3f} ms"
        f"   max {max(ms):7.3f} ms"
    )


def main() -> None:
    print(f"machine: {describe_machine()}")
    print(f"{FADES} fades, {ROUNDS} rounds each\n")
    idle, go_start, takeover, pause, resume = [], [], [], [], []
    for _ in range(ROUNDS):
        engine = CueEngine(fade_show(FADES))
        t = time.perf_counter()
        engine.handle(Go(), 0.0)
        go_start.append(time.perf_counter() - t)
        for step in range(1, 6):
            t = time.perf_counter()
            engine.advance(step * 0.1)
            idle.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.handle(Pause(), 1.0)
        pause.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.handle(Resume(), 2.0)
        resume.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.handle(Go(), 3.0)
        takeover.append(time.perf_counter() - t)
    report("advance() with 500 fades in flight", idle)
    report("GO starting 500 fades", go_start)
    report("GO taking over 500 fades mid-fade", takeover)
    report("pause 500 fades", pause)
    report("resume 500 fades", resume)
    target = percentile(idle, 0.99) * 1000
    verdict = "met" if target < 1 else "MISSED"
    print(f"\ntarget: advance() under 1 ms -> p99 {target:.3f} ms: {verdict}")


if __name__ == "__main__":
    main()
