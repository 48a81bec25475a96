"""The command line, including a real daemon process driven through its console and signals."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cuebridge.cli import main

REPO = Path(__file__).resolve().parents[1]
BAD_SHOW = """\
version: 1
show: {title: Broken}
devices:
  foh: {profile: behringer-x32, host: 127.0.0.1}
cue_lists:
  - id: main
    name: Main
    cues:
      - number: "1"
        pre_wait: -2
      - number: "2"
        actions:
          - {device: fohh, action: fader, params: {channel: 1, level: 0}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "show.yaml"
    path.write_text(text)
    return path


def test_check_accepts_the_bundled_shows(capsys: pytest.CaptureFixture[str]) -> None:
    shows = sorted(str(p) for p in (REPO / "show_files").glob("*.yaml"))
    assert main(["check", *shows]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(shows)


def test_check_lists_every_problem_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, BAD_SHOW)
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:10:19: cue_lists[0].cues[0].pre_wait:"
        ' expected a number of seconds >= 0 or "MM:SS", got -2',
        f"{path}:13:22: cue_lists[0].cues[1].actions[0].device: unknown device"
        ' "fohh" (did you mean "foh"?)',
    ]


def test_run_refuses_an_invalid_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, BAD_SHOW)
    assert main(["run", str(path), "--no-console"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"cuebridge: not starting, {path} has problems:")
    assert "pre_wait" in err


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "cue_lists" in schema["properties"]


def test_profiles_lists_actions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert "behringer-x32: Behringer X32 / Midas M32 (osc)" in out
    assert "  fader: channel (a whole number from 1 to 32)" in out


def read_until(proc: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    """Read the daemon's stderr until `needle` shows up (or fail after `timeout`)."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out waiting for {needle!r}; got:\n{seen.decode()}"
        ready, _, _ = select.select([proc.stderr], [], [], remaining)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 65536)
            assert chunk, f"daemon exited; output:\n{seen.decode()}"
            seen += chunk
    return seen


def test_daemon_runs_a_show_from_the_console_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "cuebridge",
        "run",
        str(REPO / "show_files" / "theatre-scene.yaml"),
        "--state-dir",
        str(tmp_path),
        "--web-port",
        "0",
        "--osc-port",
        "0",
    ]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as proc:
        try:
            read_until(proc, b"running: 1 cue list(s)", 20)
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
            log = read_until(proc, b"event=cue-started", 10)
            assert b"trigger=go source=console" in log
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
            assert proc.stderr is not None
            assert b"stopped" in log + proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
