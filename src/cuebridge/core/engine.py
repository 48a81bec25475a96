"""The cue engine: a pure state machine over the show, driven by commands and explicit time.

Rules:
1. The engine never reads a clock, sleeps or touches I/O: callers pass `now` (monotonic
   seconds, never decreasing), ask `next_deadline()` and call `advance(now)` when it is due.
2. Every deadline due at or before `now` is processed at its own scheduled time, in time
   order, before a command is applied; late wake-ups never shift the show's timeline.
3. Results are plain values: effects for devices and events for people and logs.
4. GO-type commands (GO, GO cue, start cue) from any source pass one double-GO guard,
   unless the command says `guarded=False` (machine-timed sources such as timecode): an
   unguarded command is never refused by the guard and does not arm it.
5. GO with nothing standing by (past the last cue) does nothing and reports END_OF_LIST.
   Firing a cue that is already running does nothing to it and reports ALREADY_RUNNING;
   a GO still moves the standby on, so the next GO fires the next cue.
6. An edited show (`replace_show`) never changes what is running: running cues keep their
   own Cue objects and finish as they were; the standby is kept by number, or moves to the
   next cue by number order when its cue is gone. `restore` (crash recovery) puts the
   standby back the same way and fires nothing.

The module is longer than the house 500-line ceiling on purpose: firing, continuing,
following, group completion and control cues call one another, and keeping that state
machine in one place is what keeps its transitions readable. Playhead and views live apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cuebridge.core.commands import (
    Arm,
    Command,
    Go,
    GoCue,
    HardStop,
    LoadCue,
    Panic,
    Pause,
    Reset,
    Resume,
    StandbyNext,
    StandbyPrevious,
    StartCue,
    Stop,
)
from cuebridge.core.cuenumber import cue_sort_key
from cuebridge.core.effects import Effect
from cuebridge.core.events import (
    AllStopped,
    ArmChanged,
    CommandIgnored,
    CueActionStarted,
    CueFinished,
    CuePaused,
    CueResumed,
    CueSkipped,
    CueStarted,
    CueStopped,
    Event,
    IgnoredReason,
    PanicFinished,
    PanicStarted,
    StandbyChanged,
    Trigger,
)
from cuebridge.core.model import Action, Cue, CueList, Show
from cuebridge.core.params import ParamStore
from cuebridge.core.playback import Instance
from cuebridge.core.playhead import Playhead
from cuebridge.core.snapshot import CueState, EngineSnapshot, running_view

CONTROL_DEVICE = "show"
"""Reserved device whose actions (start, stop, ...) act on other cues of the show."""


_TRIGGER_COMMANDS = {Trigger.GO: "Go", Trigger.START: "StartCue"}


@dataclass(slots=True)
class Outcome:
    """What one engine call produced, in order."""

    effects: list[Effect] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _CueIndex:
    cue: Cue
    cue_list: str
    position: int | None
    """Index in its list for top-level cues; None inside a group."""


class CueEngine:
    """Run a show's cue lists. Pure: no I/O, no clocks, no tasks."""

    def __init__(self, show: Show) -> None:
        self._show = show
        self._lists: dict[str, CueList] = {}
        self._default_list = ""
        self._cues: dict[str, _CueIndex] = {}
        self._playhead = self._index_show(show)
        self._instances: dict[int, Instance] = {}
        self._running: dict[str, int] = {}
        self._history: dict[str, CueState] = {}
        self._actual_starts: dict[str, float] = {}
        self._store = ParamStore()
        self._next_id = 0
        self._last_go: float | None = None
        self._panic_until: float | None = None
        self._now = float("-inf")

    @property
    def show(self) -> Show:
        """The show this engine runs."""
        return self._show

    # ----------------------------------------------------------------- public API

    def handle(self, command: Command, now: float) -> Outcome:
        """Process everything due up to `now`, then apply `command` at `now`."""
        out = self.advance(now)
        self._dispatch(command, now, out)
        self._run_due(now, out)
        return out

    def advance(self, now: float) -> Outcome:
        """Process every wait, fade end and continue due at or before `now`."""
        if now < self._now:
            raise ValueError(f"time went backwards: {now} < {self._now}")
        self._now = now
        out = Outcome()
        self._run_due(now, out)
        return out

    def next_deadline(self) -> float | None:
        """Engine time of the next scheduled step, or None when only a command can change things."""
        due = [t for inst in self._instances.values() if (t := inst.next_due()) is not None]
        if self._panic_until is not None:
            due.append(self._panic_until)
        return min(due, default=None)

    def replace_show(self, show: Show, now: float) -> Outcome:
        """Swap in an edited show at `now` (rule 6); reports each standby that changed.

        Armed flags set by the operator are kept for cues whose `armed` the edit left alone.
        A new list stands by on its first armed cue; settings (GO guard, panic time) apply
        from now on.
        """
        out = self.advance(now)
        old_cues = self._cues
        old_standby = self._standby_numbers()
        old_disarmed = self._playhead.disarmed()
        self._playhead = self._index_show(show)
        for number, entry in self._cues.items():
            old = old_cues.get(number)
            if old is not None and old.cue.armed == entry.cue.armed:
                self._playhead.set_armed(number, number not in old_disarmed)
        for list_id in self._lists:
            if list_id in old_standby:
                position = self._standby_for(list_id, old_standby[list_id])
            else:
                position = self._playhead.armed_from(list_id, 0, +1)
            self._playhead.set(list_id, position, now)
        for list_id, standby in self._standby_numbers().items():
            if old_standby.get(list_id, "") != standby:
                out.events.append(StandbyChanged(at=now, cue_list=list_id, number=standby))
        return out

    def restore(
        self, standby: Mapping[str, str | None], disarmed: Iterable[str], now: float
    ) -> Outcome:
        """Put back a saved playhead without firing anything (crash recovery, rule 6).

        Unknown lists and cue numbers are skipped; a standby cue that no longer exists moves
        to the next cue by number.
        """
        out = self.advance(now)
        for number in disarmed:
            if number in self._cues and self._playhead.is_armed(number):
                self._arm(number, False, now, out, "recovery")
        for list_id, saved in standby.items():
            if list_id in self._lists:
                self._set_standby(list_id, self._standby_for(list_id, saved), now, out)
        return out

    def snapshot(self, now: float | None = None) -> EngineSnapshot:
        """A read-only view of the show at `now` (default: the last time passed in)."""
        at = self._now if now is None else max(now, self._now)
        states = dict(self._history)
        running = []
        for inst in self._instances.values():
            view = running_view(inst, at)
            states[inst.cue.number] = view.state
            running.append(view)
        locked = self._locked_until()
        return EngineSnapshot(
            at=at,
            lists=tuple(self._playhead.list_state(cl) for cl in self._show.cue_lists),
            running=tuple(running),
            cue_states=states,
            disarmed=self._playhead.disarmed(),
            go_locked_until=locked if locked is not None and locked > at else None,
            panic_until=self._panic_until,
            actual_starts=dict(self._actual_starts),
            fades_in_flight=self._store.fades_in_flight(at),
        )

    # ----------------------------------------------------------------- commands

    def _dispatch(self, command: Command, now: float, out: Outcome) -> None:
        match command:
            case Go():
                self._go(command, now, out)
            case GoCue():
                self._go_cue(command, now, out)
            case StartCue():
                self._start_cue(command.number, now, out, command.source, guarded=command.guarded)
            case LoadCue():
                self._load(command, now, out)
            case StandbyNext() | StandbyPrevious():
                self._step_standby(command, now, out)
            case Stop():
                self._stop(command.number, now, out, command.source)
            case Pause():
                self._pause(command.number, now, out, command.source)
            case Resume():
                self._resume(command.number, now, out, command.source)
            case Panic():
                self._panic(now, out, command.source)
            case HardStop():
                self._hard_stop(now, out, command.source, reset=False)
            case Reset():
                self._hard_stop(now, out, command.source, reset=True)
            case Arm():
                self._arm(command.number, command.armed, now, out, command.source)
            case _:
                raise TypeError(f"unknown command {command!r}")

    def _go(self, command: Go, now: float, out: Outcome) -> None:
        list_id = command.cue_list or self._default_list
        if list_id not in self._lists:
            self._ignore(out, now, command, IgnoredReason.UNKNOWN_LIST, f"no cue list '{list_id}'")
            return
        if command.guarded and self._check_lockout(command, now, out):
            return
        position = self._playhead.position(list_id)
        if position is None:
            detail = (
                f"nothing is standing by in list '{list_id}' (end of list): load a cue or reset"
            )
            self._ignore(out, now, command, IgnoredReason.END_OF_LIST, detail)
            return
        if command.guarded:
            self._last_go = now
        self._fire(
            self._lists[list_id].cues[position], list_id, now, Trigger.GO, command.source, out
        )

    def _go_cue(self, command: GoCue, now: float, out: Outcome) -> None:
        entry = self._top_level(command, command.number, now, out)
        if entry is None or (command.guarded and self._check_lockout(command, now, out)):
            return
        assert entry.position is not None
        self._set_standby(entry.cue_list, entry.position, now, out)
        if command.guarded:
            self._last_go = now
        self._fire(entry.cue, entry.cue_list, now, Trigger.GO, command.source, out)

    def _start_cue(
        self, number: str, now: float, out: Outcome, source: str, *, guarded: bool
    ) -> None:
        command = StartCue(number=number, source=source, guarded=guarded)
        entry = self._lookup(command, number, now, out)
        if entry is None:
            return
        if not self._playhead.is_armed(number):
            self._ignore(out, now, command, IgnoredReason.DISARMED, f"cue {number} is disarmed")
            return
        if guarded:
            if self._check_lockout(command, now, out):
                return
            self._last_go = now
        self._fire(entry.cue, entry.cue_list, now, Trigger.START, source, out)

    def _load(self, command: LoadCue, now: float, out: Outcome) -> None:
        entry = self._top_level(command, command.number, now, out)
        if entry is not None:
            assert entry.position is not None
            self._set_standby(entry.cue_list, entry.position, now, out)

    def _step_standby(
        self, command: StandbyNext | StandbyPrevious, now: float, out: Outcome
    ) -> None:
        list_id = command.cue_list or self._default_list
        if list_id not in self._lists:
            self._ignore(out, now, command, IgnoredReason.UNKNOWN_LIST, f"no cue list '{list_id}'")
            return
        current = self._playhead.position(list_id)
        count = len(self._lists[list_id].cues)
        if isinstance(command, StandbyNext):
            if current is None:
                detail = f"list '{list_id}' is already past its last cue"
                self._ignore(out, now, command, IgnoredReason.END_OF_LIST, detail)
                return
            self._set_standby(
                list_id, self._playhead.armed_from(list_id, current + 1, +1), now, out
            )
            return
        start = count - 1 if current is None else current - 1
        previous = self._playhead.armed_from(list_id, start, -1)
        if previous is None:
            detail = f"no armed cue before the standby in list '{list_id}'"
            self._ignore(out, now, command, IgnoredReason.NOTHING_TO_DO, detail)
            return
        self._set_standby(list_id, previous, now, out)

    def _stop(self, number: str | None, now: float, out: Outcome, source: str) -> None:
        if number is None:
            roots = [i for i in self._instances.values() if i.parent not in self._instances]
            if not roots:
                self._ignore(
                    out, now, Stop(source=source), IgnoredReason.NOTHING_TO_DO, "nothing is running"
                )
            for root in roots:
                if root.id in self._instances:
                    self._stop_instance(root, now, out, source)
            return
        inst = self._instance_of(Stop(number=number, source=source), number, now, out)
        if inst is not None:
            self._stop_instance(inst, now, out, source)

    def _pause(self, number: str | None, now: float, out: Outcome, source: str) -> None:
        command = Pause(number=number, source=source)
        targets = self._targets(command, number, now, out)
        if targets is None:
            return
        fresh = [inst for inst in targets if inst.paused_at is None]
        if not fresh:
            self._ignore(out, now, command, IgnoredReason.NOTHING_TO_DO, "already paused")
            return
        for inst in fresh:
            inst.paused_at = now
            out.events.append(CuePaused(at=now, number=inst.cue.number, source=source))
        out.effects.extend(self._store.pause({inst.id for inst in fresh}, now))

    def _resume(self, number: str | None, now: float, out: Outcome, source: str) -> None:
        command = Resume(number=number, source=source)
        targets = self._targets(command, number, now, out)
        if targets is None:
            return
        paused = [inst for inst in targets if inst.paused_at is not None]
        if not paused:
            self._ignore(out, now, command, IgnoredReason.NOT_PAUSED, "nothing is paused")
            return
        for inst in paused:
            assert inst.paused_at is not None
            inst.t0 += now - inst.paused_at
            inst.paused_at = None
            out.events.append(CueResumed(at=now, number=inst.cue.number, source=source))
        out.effects.extend(self._store.resume({inst.id for inst in paused}, now))

    def _panic(self, now: float, out: Outcome, source: str) -> None:
        if self._panic_until is not None:
            out.effects.extend(self._store.cut_panic(now))
            self._panic_until = None
            out.events.append(PanicFinished(at=now, cut=True))
            return
        for inst in list(self._instances.values()):
            self._forget(inst, now, out, source)
        duration = self._show.settings.panic_time
        out.effects.extend(self._store.panic(now, duration))
        out.events.append(PanicStarted(at=now, until=now + duration, source=source))
        if duration > 0.0:
            self._panic_until = now + duration
        else:
            out.events.append(PanicFinished(at=now, cut=False))

    def _hard_stop(self, now: float, out: Outcome, source: str, *, reset: bool) -> None:
        for inst in list(self._instances.values()):
            self._forget(inst, now, out, source)
        out.effects.extend(self._store.freeze_all(now))
        self._panic_until = None
        if reset:
            self._history.clear()
            self._last_go = None
            for list_id in self._lists:
                self._set_standby(list_id, self._playhead.armed_from(list_id, 0, +1), now, out)
        out.events.append(AllStopped(at=now, reset=reset, source=source))

    def _arm(self, number: str, armed: bool, now: float, out: Outcome, source: str) -> None:
        command = Arm(number=number, armed=armed, source=source)
        entry = self._lookup(command, number, now, out)
        if entry is None:
            return
        if self._playhead.is_armed(number) == armed:
            state = "armed" if armed else "disarmed"
            self._ignore(
                out, now, command, IgnoredReason.NOTHING_TO_DO, f"cue {number} is already {state}"
            )
            return
        self._playhead.set_armed(number, armed)
        out.events.append(ArmChanged(at=now, number=number, armed=armed, source=source))
        if (
            not armed
            and entry.position is not None
            and self._playhead.position(entry.cue_list) == entry.position
        ):
            moved = self._playhead.armed_from(entry.cue_list, entry.position + 1, +1)
            self._set_standby(entry.cue_list, moved, now, out)

    # ----------------------------------------------------------------- timeline

    def _run_due(self, now: float, out: Outcome) -> None:
        while True:
            best: Instance | None = None
            best_due = float("inf")
            for inst in self._instances.values():
                due = inst.next_due()
                if due is not None and due < best_due:
                    best, best_due = inst, due
            if self._panic_until is not None and self._panic_until <= min(best_due, now):
                out.events.append(PanicFinished(at=self._panic_until, cut=False))
                self._panic_until = None
                continue
            if best is None or best_due > now:
                return
            self._step(best, best_due, out)

    def _step(self, inst: Instance, at: float, out: Outcome) -> None:
        if not inst.action_started:
            self._start_action(inst, at, out)
        elif not inst.own_done and at >= inst.own_end:
            inst.own_done = True
            self._maybe_finish(inst, at, out)
        elif inst.continue_pending:
            inst.continue_pending = False
            self._fire_next(inst, at, Trigger.CONTINUE, out)
            self._maybe_remove(inst)

    def _start_action(self, inst: Instance, at: float, out: Outcome) -> None:
        inst.action_started = True
        if inst.hollow:
            return
        number = inst.cue.number
        out.events.append(CueActionStarted(at=at, number=number))
        for action in inst.cue.actions:
            if action.device == CONTROL_DEVICE:
                self._control(action, at, out, source=f"cue {number}")
            else:
                out.effects.append(self._store.apply(action, cue=number, owner=inst.id, at=at))
        if inst.id not in self._instances:
            return  # a control action stopped this very cue
        for child in inst.cue.children:
            kid = self._fire(
                child, inst.cue_list, at, Trigger.GROUP, f"group {number}", out, inst.id
            )
            if kid is not None:
                inst.children.add(kid.id)

    def _control(self, action: Action, at: float, out: Outcome, source: str) -> None:
        target = str(action.params["cue"])
        match action.action:
            case "start":
                self._start_cue(target, at, out, source, guarded=False)
            case "stop":
                self._stop(target, at, out, source)
            case "pause":
                self._pause(target, at, out, source)
            case "resume":
                self._resume(target, at, out, source)
            case "load":
                self._load(LoadCue(number=target, source=source), at, out)
            case "arm" | "disarm":
                self._arm(target, action.action == "arm", at, out, source)
            case other:
                raise ValueError(f"unknown control action {other!r}")

    def _fire(
        self,
        cue: Cue,
        list_id: str,
        at: float,
        trigger: Trigger,
        source: str,
        out: Outcome,
        parent: int | None = None,
    ) -> Instance | None:
        entry = self._cues.get(cue.number)
        # After an edit an old group may fire a child the new show no longer has.
        position = entry.position if entry is not None and entry.cue_list == list_id else None
        if parent is None and position is not None and self._playhead.position(list_id) == position:
            self._emit(out, self._playhead.move_past(list_id, position, at))
        if cue.number in self._running:
            detail = f"cue {cue.number} is already running; stop it to fire it again"
            out.events.append(
                CommandIgnored(
                    at=at,
                    command=_TRIGGER_COMMANDS.get(trigger, trigger.value),
                    reason=IgnoredReason.ALREADY_RUNNING,
                    detail=detail,
                    source=source,
                )
            )
            return None
        hollow = not (self._playhead.is_armed(cue.number) if entry is not None else cue.armed)
        inst = Instance(
            id=self._next_id,
            cue=cue,
            cue_list=list_id,
            parent=parent,
            top_level=parent is None and position is not None,
            hollow=hollow,
            t0=at,
        )
        self._next_id += 1
        inst.continue_pending = inst.wants_continue()
        self._instances[inst.id] = inst
        self._running[cue.number] = inst.id
        self._history.pop(cue.number, None)
        self._actual_starts[cue.number] = at
        if hollow:
            out.events.append(CueSkipped(at=at, number=cue.number))
        else:
            out.events.append(
                CueStarted(
                    at=at, number=cue.number, cue_list=list_id, trigger=trigger, source=source
                )
            )
        return inst

    def _fire_next(self, inst: Instance, at: float, trigger: Trigger, out: Outcome) -> None:
        cue_list = self._lists.get(inst.cue_list)
        if cue_list is None:
            return  # an edit removed the list this cue was running in
        entry = self._cues.get(inst.cue.number)
        if entry is not None and entry.cue_list == inst.cue_list and entry.position is not None:
            following: int | None = entry.position + 1
        else:
            following = self._after_number(inst.cue_list, inst.cue.number, armed_only=False)
        if following is not None and following < len(cue_list.cues):
            self._fire(
                cue_list.cues[following],
                inst.cue_list,
                at,
                trigger,
                f"cue {inst.cue.number}",
                out,
            )

    def _maybe_finish(self, inst: Instance, at: float, out: Outcome) -> None:
        if inst.finished or not inst.action_started or not inst.own_done or inst.children:
            return
        inst.finished = True
        number = inst.cue.number
        self._history[number] = CueState.SKIPPED if inst.hollow else CueState.DONE
        if not inst.hollow:
            out.events.append(CueFinished(at=at, number=number))
        self._maybe_remove(inst)
        parent = self._instances.get(inst.parent) if inst.parent is not None else None
        if parent is not None:
            parent.children.discard(inst.id)
            self._maybe_finish(parent, at, out)
        if inst.wants_follow():
            self._fire_next(inst, at, Trigger.FOLLOW, out)

    def _maybe_remove(self, inst: Instance) -> None:
        if inst.finished and not inst.continue_pending:
            self._unregister(inst)
            self._store.release({inst.id})

    def _stop_instance(self, inst: Instance, at: float, out: Outcome, source: str) -> None:
        family = self._family(inst)
        out.effects.extend(self._store.stop({member.id for member in family}, at))
        for member in reversed(family):
            self._unregister(member)
            self._history[member.cue.number] = CueState.STOPPED
            out.events.append(CueStopped(at=at, number=member.cue.number, source=source))
        parent = self._instances.get(inst.parent) if inst.parent is not None else None
        if parent is not None:
            parent.children.discard(inst.id)
            self._maybe_finish(parent, at, out)

    def _forget(self, inst: Instance, at: float, out: Outcome, source: str) -> None:
        """Drop a running cue without sending anything (panic and hard stop own the fades)."""
        if inst.id in self._instances:
            self._unregister(inst)
            self._history[inst.cue.number] = CueState.STOPPED
            out.events.append(CueStopped(at=at, number=inst.cue.number, source=source))
            self._store.release({inst.id})

    def _unregister(self, inst: Instance) -> None:
        self._instances.pop(inst.id, None)
        if self._running.get(inst.cue.number) == inst.id:
            del self._running[inst.cue.number]

    def _family(self, inst: Instance) -> list[Instance]:
        family = [inst]
        for member in family:
            family.extend(self._instances[kid] for kid in member.children if kid in self._instances)
        return family

    def _set_standby(self, list_id: str, position: int | None, at: float, out: Outcome) -> None:
        self._emit(out, self._playhead.set(list_id, position, at))

    @staticmethod
    def _emit(out: Outcome, event: Event | None) -> None:
        if event is not None:
            out.events.append(event)

    # ----------------------------------------------------------------- show and standby

    def _index_show(self, show: Show) -> Playhead:
        """Index `show`'s lists and cues; returns a fresh playhead over them."""
        if not show.cue_lists:
            raise ValueError("a show needs at least one cue list")
        self._show = show
        self._lists = {cl.id: cl for cl in show.cue_lists}
        self._default_list = show.cue_lists[0].id
        self._cues = {}
        for cue_list in show.cue_lists:
            for position, cue in enumerate(cue_list.cues):
                self._index(cue, cue_list.id, position)
        return Playhead(self._lists, {n: entry.cue for n, entry in self._cues.items()})

    def _standby_numbers(self) -> dict[str, str | None]:
        return {cl.id: self._playhead.list_state(cl).standby for cl in self._show.cue_lists}

    def _standby_for(self, list_id: str, number: str | None) -> int | None:
        """Where `number` stands by in a list: its own position if it is an armed top-level
        cue there, else the next armed top-level cue by number order (None: end of list)."""
        if number is None:
            return None
        entry = self._cues.get(number)
        if (
            entry is not None
            and entry.cue_list == list_id
            and entry.position is not None
            and self._playhead.is_armed(number)
        ):
            return entry.position
        return self._after_number(list_id, number, armed_only=True)

    def _after_number(self, list_id: str, number: str, *, armed_only: bool) -> int | None:
        """Position of the top-level cue with the lowest number above `number`."""
        key = _number_key(number)
        if key is None:
            return None
        later = [
            (cue_key, position)
            for position, cue in enumerate(self._lists[list_id].cues)
            if (cue_key := _number_key(cue.number)) is not None
            and cue_key > key
            and (not armed_only or self._playhead.is_armed(cue.number))
        ]
        return min(later)[1] if later else None

    # ----------------------------------------------------------------- helpers

    def _index(self, cue: Cue, list_id: str, position: int | None) -> None:
        self._cues[cue.number] = _CueIndex(cue=cue, cue_list=list_id, position=position)
        for child in cue.children:
            self._index(child, list_id, None)

    def _locked_until(self) -> float | None:
        interval = self._show.settings.min_go_interval
        return None if self._last_go is None or interval <= 0 else self._last_go + interval

    def _check_lockout(self, command: Command, now: float, out: Outcome) -> bool:
        until = self._locked_until()
        if until is None or now >= until:
            return False
        interval = self._show.settings.min_go_interval
        detail = f"GO locked out for another {until - now:.2f} s ({interval:g} s between GOs)"
        self._ignore(out, now, command, IgnoredReason.LOCKED_OUT, detail)
        return True

    def _lookup(self, command: Command, number: str, now: float, out: Outcome) -> _CueIndex | None:
        entry = self._cues.get(number)
        if entry is None:
            self._ignore(
                out, now, command, IgnoredReason.UNKNOWN_CUE, f"no cue numbered '{number}'"
            )
        return entry

    def _top_level(
        self, command: Command, number: str, now: float, out: Outcome
    ) -> _CueIndex | None:
        entry = self._lookup(command, number, now, out)
        if entry is None:
            return None
        if entry.position is None:
            detail = f"cue {number} is inside a group: GO or load its group, or start it"
            self._ignore(out, now, command, IgnoredReason.INSIDE_GROUP, detail)
            return None
        if not self._playhead.is_armed(number):
            self._ignore(out, now, command, IgnoredReason.DISARMED, f"cue {number} is disarmed")
            return None
        return entry

    def _instance_of(
        self, command: Command, number: str, now: float, out: Outcome
    ) -> Instance | None:
        if self._lookup(command, number, now, out) is None:
            return None
        inst_id = self._running.get(number)
        if inst_id is None:
            self._ignore(
                out, now, command, IgnoredReason.NOT_RUNNING, f"cue {number} is not running"
            )
            return None
        return self._instances[inst_id]

    def _targets(
        self, command: Command, number: str | None, now: float, out: Outcome
    ) -> list[Instance] | None:
        if number is None:
            if not self._instances:
                self._ignore(out, now, command, IgnoredReason.NOTHING_TO_DO, "nothing is running")
                return None
            return list(self._instances.values())
        inst = self._instance_of(command, number, now, out)
        return None if inst is None else self._family(inst)

    @staticmethod
    def _ignore(
        out: Outcome, now: float, command: Command, reason: IgnoredReason, detail: str
    ) -> None:
        out.events.append(
            CommandIgnored(
                at=now,
                command=type(command).__name__,
                reason=reason,
                detail=detail,
                source=command.source,
            )
        )


def _number_key(number: str) -> tuple[int, ...] | None:
    """Dotted-decimal order key, or None for text that is not a cue number."""
    try:
        return cue_sort_key(number)
    except ValueError:
        return None
