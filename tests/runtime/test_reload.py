"""Hot reload of the show file: good edits swap in at a safe point, bad ones change nothing."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_persist import FakeDmx, until

from cuebridge.config.profiles import ProfileCatalog
from cuebridge.config.showfile import load_show
from cuebridge.core.commands import Go
from cuebridge.core.effects import SendAction
from cuebridge.core.engine import Outcome
from cuebridge.core.events import CueFinished
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.notices import Notice
from cuebridge.runtime.reload import ShowReloader

REPO = Path(__file__).resolve().parents[2]

SHOW = """\
version: 1
show: {{title: Reload}}
settings: {{min_go_interval: 0}}
devices:
  lx: {{profile: generic-sacn, host: 127.0.0.1, port: {port}}}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
          - device: lx
            action: level
            params: {{universe: 1, address: 1, level: 100}}
            fade: {fade}
{more}"""


def cue(number: str, level: int) -> str:
    return (
        f'      - number: "{number}"\n        actions:\n'
        f"          - {{device: lx, action: level, params: {{universe: 1, address: 2, "
        f"level: {level}}}}}\n"
    )


def write(path: Path, *, fade: float = 0.4, port: int = 5568, cues: str = "") -> None:
    """Write the show; the modification time moves on even within one clock tick."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    more = cues or cue("2", 50) + cue("3", 60)
    path.write_text(SHOW.format(fade=fade, port=port, more=more), encoding="utf-8")
    stat = path.stat()
    if stat.st_mtime_ns <= before:
        os.utime(path, ns=(stat.st_atime_ns, before + 1_000_000))


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


@pytest.fixture
async def rig(
    tmp_path: Path, catalog: ProfileCatalog
) -> AsyncIterator[tuple[Daemon, ShowReloader, FakeDmx]]:
    path = tmp_path / "show.yaml"
    write(path)
    reloader = ShowReloader(path, catalog, poll=0.02)
    dmx = FakeDmx()
    daemon = Daemon(load_show(path, catalog), {"lx": dmx}, MonotonicClock())
    reloader.prepare(daemon)
    task = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    yield daemon, reloader, dmx
    daemon.request_stop()
    await task


def reload_notice(daemon: Daemon) -> Notice | None:
    return next((n for n in daemon.notices.items() if n.topic == "reload"), None)


async def settled_check(reloader: ShowReloader) -> None:
    """Two polls: the first sees the change, the second loads it once it held still."""
    assert await reloader.check() is None
    await reloader.check()


def standby(daemon: Daemon) -> str | None:
    return daemon.loop.snapshot().lists[0].standby


async def test_a_valid_edit_applies_while_the_running_cue_finishes_as_it_was(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, dmx = rig
    finished = asyncio.Event()
    daemon.loop.add_listener(
        lambda out: finished.set() if any(isinstance(e, CueFinished) for e in out.events) else None
    )
    daemon.loop.submit(Go(source="test"))
    await until(lambda: bool(daemon.loop.snapshot().running))
    ends_at = daemon.loop.snapshot().running[0].ends_at
    write(tmp_path / "show.yaml", fade=30, cues=cue("1.5", 10) + cue("2", 77) + cue("3", 60))
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "info"
    assert notice.message == "show file reloaded (4 top-level cues)"
    assert standby(daemon) == "2"  # kept by number although 1.5 now comes first
    assert daemon.loop.snapshot().running[0].ends_at == ends_at  # not the edited 30 s
    async with asyncio.timeout(10):
        await finished.wait()
    daemon.loop.submit(Go(source="test"))
    await until(lambda: len(dmx.sent) == 2)
    sent = dmx.sent[1]
    assert isinstance(sent, SendAction)
    assert (sent.cue, sent.params["level"]) == ("2", 77)  # the edited cue 2
    assert daemon.show.cue_lists[0].cues[1].number == "1.5"


async def test_the_watcher_picks_up_an_edit_by_itself(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, _ = rig
    applied: list[Outcome] = []
    daemon.loop.add_show_listener(lambda show: applied.append(Outcome()))
    service = asyncio.create_task(reloader(daemon))
    try:
        write(tmp_path / "show.yaml", cues=cue("2", 51))
        await until(lambda: bool(applied))
        assert len(daemon.show.cue_lists[0].cues) == 2
    finally:
        service.cancel()
        with pytest.raises(asyncio.CancelledError):
            await service


async def test_an_invalid_edit_is_rejected_with_located_errors_and_a_good_one_clears_it(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, dmx = rig
    path = tmp_path / "show.yaml"
    loaded = daemon.show
    broken = cue("2", 50).replace("device: lx", "device: ghost") + cue("3", 999)
    write(path, cues=broken)
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "error"
    assert notice.message.startswith("show file edit rejected, the loaded show keeps running:")
    located = notice.message.splitlines()[1:]
    assert len(located) == 2
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) for line in located)
    assert "ghost" in notice.message
    assert daemon.show is loaded
    daemon.loop.submit(Go(source="test"))
    daemon.loop.submit(Go(source="test"))
    await until(lambda: len(dmx.sent) == 2)
    assert dmx.sent[1].params["level"] == 50  # the old cue 2 still runs
    write(path, cues=cue("2", 20) + cue("3", 30))
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "info"
    assert [n.topic for n in daemon.notices.items()].count("reload") == 1
    assert reloader.rejected == 1
    assert reloader.applied == 1


async def test_undoing_a_bad_edit_clears_its_notice(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, _ = rig
    path = tmp_path / "show.yaml"
    original = path.read_text()
    path.write_text(original.replace("version: 1", "version: [1"))
    await settled_check(reloader)
    assert (notice := reload_notice(daemon)) is not None
    assert notice.level == "error"
    write(path)  # back to what is loaded
    await settled_check(reloader)
    assert (notice := reload_notice(daemon)) is not None
    assert notice.level == "info"
    assert reloader.applied == 0


async def test_a_removed_standby_cue_moves_on_with_a_notice(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, _ = rig
    daemon.loop.submit(Go(source="test"))
    await until(lambda: standby(daemon) == "2")
    write(tmp_path / "show.yaml", cues=cue("3", 60) + cue("4", 70))
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "warning"
    assert "standby 2 no longer exists in list main; standing by on 3" in notice.message
    assert standby(daemon) == "3"


async def test_device_changes_are_reported_as_needing_a_restart(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, _ = rig
    path = tmp_path / "show.yaml"
    write(path, port=6000)
    text = path.read_text().replace(
        "cue_lists:", "  spot: {profile: generic-sacn, host: 127.0.0.1, port: 6001}\ncue_lists:"
    )
    path.write_text(text)
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "warning"
    assert "device changes need a restart: added spot" in notice.message
    assert "changed lx (still using the old settings)" in notice.message


async def test_a_deleted_show_file_is_a_notice_and_the_show_continues(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, dmx = rig
    path = tmp_path / "show.yaml"
    text = path.read_text()
    path.unlink()
    assert await reloader.check() is None
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "warning"
    assert "is missing" in notice.message
    daemon.loop.submit(Go(source="test"))
    await until(lambda: bool(dmx.sent))
    path.write_text(text)  # put back as it was
    await settled_check(reloader)
    notice = reload_notice(daemon)
    assert notice is not None
    assert notice.level == "info"


async def test_the_admin_reload_applies_even_an_unchanged_file(
    rig: tuple[Daemon, ShowReloader, FakeDmx],
) -> None:
    daemon, reloader, _ = rig
    reload = daemon.reload  # type: ignore[attr-defined]
    result = await reload()
    assert result.ok
    assert result.message == "show file reloaded (3 top-level cues)"
    assert reloader.applied == 1


async def test_touching_the_file_without_changing_it_reloads_nothing(
    rig: tuple[Daemon, ShowReloader, FakeDmx], tmp_path: Path
) -> None:
    daemon, reloader, _ = rig
    path = tmp_path / "show.yaml"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000))
    await settled_check(reloader)
    assert reloader.applied == 0
    assert reload_notice(daemon) is None
