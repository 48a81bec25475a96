"""docs/midi.md's examples load (profiles through ProfileCatalog, the show) as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show_text
from cuebridge.drivers.midi_output import midi_output_for
from cuebridge.render.midi import midi_settings, render_midi
from cuebridge.runtime.clock import MonotonicClock

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "midi.md"
EXAMPLE = re.compile(r"<!-- example: (show|profile) -->\s*```yaml\n(.*?)```", re.DOTALL)
H = bytes.fromhex


def examples(kind: str) -> list[str]:
    return [m.group(2) for m in EXAMPLE.finditer(DOC.read_text()) if m.group(1) == kind]


@pytest.fixture(scope="module")
def doc_catalog(tmp_path_factory: pytest.TempPathFactory) -> ProfileCatalog:
    directory = tmp_path_factory.mktemp("profiles")
    for text in examples("profile"):
        profile_id = yaml.safe_load(text)["profile"]
        (directory / f"{profile_id}.yaml").write_text(text)
    return ProfileCatalog.load([directory])


def test_the_profile_examples_load_and_render_as_documented(doc_catalog: ProfileCatalog) -> None:
    assert doc_catalog.ids() == ["show-console", "stage-synth"]
    synth = doc_catalog.get("stage-synth")
    assert synth is not None
    assert render_midi(synth.actions["patch"], {"channel": 2, "bank": 1, "patch": 1}) == [
        H("b1 00 01"),
        H("c1 00"),
    ]
    assert render_midi(synth.actions["identity"], {}) == [H("f0 7e 7f 06 01 f7")]
    console = doc_catalog.get("show-console")
    assert console is not None
    settings = midi_settings(console.connection.options)
    assert render_midi(console.actions["timed_go"], {"cue": "1", "seconds": 3}, settings) == [
        H("f0 7f 01 02 01 04 20 00 03 00 00 31 f7")
    ]
    assert render_midi(console.actions["blackout"], {}, settings) == [H("f0 7f 7f 02 01 08 f7")]
    assert render_midi(console.actions["master"], {"level": 100}, settings) == [
        H("f0 7f 01 02 01 06 7e 03 64 00 f7")
    ]


def test_the_show_example_builds_midi_outputs() -> None:
    (text,) = examples("show")
    catalog = ProfileCatalog.load([REPO / "profiles"])
    show = load_show_text(text, "midi.md", catalog)
    outputs = {}
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        if profile is not None and profile.protocol == "midi":
            outputs[name] = midi_output_for(device, profile, MonotonicClock())
    assert set(outputs) == {"desk", "lx"}
    assert show.devices["lx"].connection["device_id"] == 3
    assert show.devices["desk"].connection["transport"] == "rtmidi"
