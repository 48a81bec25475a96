// Stage manager view: read-only and readable across a room. It sends nothing but `resync`.

import {
  fmtDelta,
  fmtDuration,
  fmtTimeOfDay,
  h,
  keyed,
  setClass,
  setText,
  startPanel,
  timeOfDay,
} from "./panel.js";
import { renderNotices, renderRunning, tickRunning } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const wantedList = new URLSearchParams(location.search).get("list");

startPanel({
  view: "viewer",
  onState: render,
  onFrame: (state, age) => tickRunning($("running"), age),
});

function render(state) {
  const list = state.lists.find((item) => item.id === wantedList) || state.lists[0] || null;
  const cues = list ? list.cues : [];
  const standby = list && cues.find((cue) => cue.number === list.standby);
  const next = list && cues.find((cue) => cue.number === list.next);
  setText($("list-name"), state.lists.length > 1 && list ? `· ${list.name}` : "");
  setText($("standby-number"), standby ? standby.number : "–");
  setText($("standby-name"), standby ? standby.name : "End of the cue list");
  setText($("standby-notes"), standby ? standby.notes : "");
  setText($("next-number"), next ? next.number : "–");
  setText($("next-name"), next ? next.name : "");
  setText($("next-notes"), next ? next.notes : "");
  renderRunning($("running"), state.running, { large: true });
  renderSchedule(state, list);
  renderNotices($("notices"), state.notices);
}

/** Planned start in seconds of the day, given when the first GO happened. */
function plannedSeconds(planned, firstGo) {
  if (typeof planned !== "string") return null;
  const relative = /^\+(\d+):(\d{2})(?::(\d{2}))?$/.exec(planned.trim());
  if (relative) {
    if (firstGo === null) return null;
    const [, hours, minutes, seconds] = relative;
    return firstGo + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds || 0);
  }
  return timeOfDay(planned);
}

/** Difference of two times of day, folded into -12 h..+12 h so midnight does not matter. */
function todDifference(actual, planned) {
  let diff = (actual - planned) % 86400;
  if (diff > 43200) diff -= 86400;
  if (diff < -43200) diff += 86400;
  return diff;
}

function renderSchedule(state, list) {
  const delta = state.schedule ? state.schedule.delta : null;
  const box = $("schedule-delta");
  setText(box, fmtDelta(delta));
  const known = typeof delta === "number";
  setClass(box, "behind", known && delta >= 1);
  setClass(box, "ahead", known && delta <= -1);
  setClass(box, "on-time", known && Math.abs(delta) < 1);

  const now = timeOfDay(state.wall_time);
  const started = typeof state.show_clock === "number" && now !== null;
  const firstGo = started ? now - state.show_clock : null;
  const rows = (list ? list.cues : []).filter((cue) => (cue.depth || 0) === 0 || cue.planned_start);
  keyed(
    $("run-of-show"),
    rows,
    (cue) => cue.number,
    () =>
      h(
        "tr",
        {},
        h("td", { class: "num" }),
        h("td"),
        h("td", { class: "time" }),
        h("td", { class: "time" }),
        h("td", { class: "time delta" }),
      ),
    (row, cue) => {
      const cells = row.children;
      const planned = plannedSeconds(cue.planned_start, firstGo);
      const actual = cue.actual_start ? timeOfDay(cue.actual_start) : null;
      setText(cells[0], cue.number);
      setText(cells[1], cue.name);
      setText(cells[2], cue.planned_start || "");
      setText(cells[3], actual === null ? "" : fmtTimeOfDay(actual));
      const diff = planned !== null && actual !== null ? todDifference(actual, planned) : null;
      const sign = diff !== null && diff < 0 ? "−" : "+";
      setText(cells[4], diff === null ? "" : `${sign}${fmtDuration(Math.abs(diff))}`);
      setClass(cells[4], "behind", diff !== null && diff >= 1);
      setClass(cells[4], "ahead", diff !== null && diff <= -1);
      setClass(row, "is-standby", list.standby === cue.number);
      setClass(row, "fired", actual !== null);
    },
  );
}
