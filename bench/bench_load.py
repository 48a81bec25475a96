"""Benchmark: load and validate a generated 5,000-cue show file; prints figures."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from cuebridge.config.generate import generate_show_text
from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.showfile import load_show
from machine import describe_machine

CUES = 5000
RUNS = 7


def main() -> None:
    print(f"machine: {describe_machine()}")
    catalog = ProfileCatalog.load(default_profile_dirs())
    text = generate_show_text(CUES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text)
        print(f"{CUES} cues, {len(text) / 1e6:.1f} MB, {text.count(chr(10))} lines, {RUNS} runs")
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            show = load_show(path, catalog)
            times.append(time.perf_counter() - start)
    assert sum(len(cl.cues) for cl in show.cue_lists) > 0
    best, median = min(times), statistics.median(times)
    print(f"load + validate: best {best:.3f} s, median {median:.3f} s, worst {max(times):.3f} s")
    print(f"target: under 1 s -> median {median:.3f} s: {'met' if median < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
