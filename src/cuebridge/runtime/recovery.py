"""Crash recovery: put the saved standby cues and lighting levels back, fire nothing, say so."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cuebridge.runtime.persist import RECOVERY_TOPIC, LevelKeeper, PlaybackState

if TYPE_CHECKING:
    from cuebridge.runtime.daemon import Daemon

logger = logging.getLogger(__name__)

TOPIC = RECOVERY_TOPIC


def recover(daemon: Daemon, saved: PlaybackState, *, restore_levels: bool) -> str:
    """Restore `saved` into a daemon that has not handled a command yet; returns the notice.

    The standby of each list comes back by cue number (the next cue by number if the show
    file lost it); operator disarms come back; running cues are named, never restarted.
    Levels go back into the level-keeping outputs when `restore_levels` is set.
    """
    stopped_at = datetime.fromtimestamp(saved.saved_at).strftime("%H:%M:%S")
    if not _same_show(saved.show, daemon.show.source):
        message = (
            f"found an unclean stop at {stopped_at} of another show ({saved.show}); "
            "nothing recovered"
        )
        daemon.notices.post("info", message, topic=TOPIC)
        return message
    daemon.loop.restore(saved.standby, saved.disarmed)
    parts = [f"recovered after an unclean stop at {stopped_at}", _standby_text(daemon, saved)]
    if saved.running:
        cues = ", ".join(saved.running)
        parts.append(f"running then: {cues} (not restarted)")
    if saved.levels:
        parts.append(_levels(daemon, saved) if restore_levels else "lighting levels not restored")
    message = "; ".join(parts)
    daemon.notices.post("warning", message, topic=TOPIC)
    return message


def _standby_text(daemon: Daemon, saved: PlaybackState) -> str:
    lists = daemon.loop.snapshot().lists
    shown = []
    for state in lists:
        if state.id not in saved.standby:
            continue
        now = "end of list" if state.standby is None else state.standby
        was = saved.standby[state.id]
        label = now if len(lists) == 1 else f"{state.id} {now}"
        if was is not None and was != state.standby:
            label += f" (cue {was} is no longer in the show)"
        shown.append(label)
    return "standby " + (", ".join(shown) if shown else "unchanged")


def _levels(daemon: Daemon, saved: PlaybackState) -> str:
    restored: list[str] = []
    failed: list[str] = []
    for device, universes in saved.levels.items():
        driver = daemon.drivers.get(device)
        if driver is None or not isinstance(driver, LevelKeeper):
            failed.append(device)
            continue
        try:
            driver.restore_levels(universes)
        except Exception:
            logger.exception("cannot restore the levels of %s", device)
            failed.append(device)
        else:
            restored.append(device)
    text = "lighting levels restored" + (f" on {', '.join(restored)}" if restored else " on none")
    return text + (f", not on {', '.join(failed)}" if failed else "")


def _same_show(saved: str, loaded: str) -> bool:
    try:
        return Path(saved).resolve() == Path(loaded).resolve()
    except OSError:
        return saved == loaded
