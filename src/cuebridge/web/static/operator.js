// Operator view: GO, standby and next, the cue list with live states, transport and panic.

import {
  ageOf,
  fmtDuration,
  h,
  keyed,
  liveRunning,
  safeColour,
  setAttr,
  setClass,
  setText,
  startPanel,
} from "./panel.js";
import { MODE_LABEL, loadMode, pressable, saveMode } from "./press.js";
import {
  findRunning,
  renderDeviceStrip,
  renderNotices,
  renderRunning,
  tickRunning,
} from "./widgets.js";

const $ = (id) => document.getElementById(id);
const LIST_KEY = "cuebridge.list";
const IN_FLIGHT = new Set(["pre-wait", "running", "post-wait", "paused"]);

const modes = { go: loadMode("go", "tap"), panic: loadMode("panic", "hold") };
let chosenList = readChosenList();
let shownStandby = null;
let liveRows = [];

const panel = startPanel({
  view: "operator",
  minRole: "operator",
  onState: render,
  onFrame: frame,
  // The engine refuses a GO inside the minimum GO interval after accepting the request.
  onError: (error) => error.event === "go" && flash($("go"), "refused"),
});

function readChosenList() {
  try {
    return localStorage.getItem(LIST_KEY);
  } catch {
    return null;
  }
}

function activeList(state) {
  return state.lists.find((list) => list.id === chosenList) || state.lists[0] || null;
}

function listPayload() {
  const state = panel.store.get();
  const list = state && activeList(state);
  return list ? { list: list.id } : {};
}

// ---- rendering -------------------------------------------------------------------------

function render(state) {
  const list = activeList(state);
  renderListTabs(state.lists, list);
  renderStandby(list);
  renderCues(state, list);
  renderRunning($("running"), state.running, { actions: runningActions });
  const running = state.running || [];
  const anyPlaying = running.some((entry) => entry.state !== "paused");
  const anyPaused = running.some((entry) => entry.state === "paused");
  const pause = $("pause-all");
  setText(pause, anyPlaying || !anyPaused ? "Pause all" : "Resume all");
  pause.dataset.action = anyPlaying || !anyPaused ? "pause" : "resume";
  setAttr(pause, "aria-disabled", running.length === 0 ? "true" : null);
  setClass($("panic"), "active", state.panic);
  renderNotices($("notices"), state.notices, { dismissible: true });
  renderDeviceStrip($("device-strip"), state.devices);
  frame(state, ageOf(state, panel.clock));
}

function renderListTabs(lists, active) {
  const tabs = $("list-tabs");
  tabs.hidden = lists.length < 2;
  keyed(
    tabs,
    lists,
    (list) => list.id,
    (list) =>
      h("button", {
        type: "button",
        class: "list-tab",
        onclick: () => {
          chosenList = list.id;
          try {
            localStorage.setItem(LIST_KEY, list.id);
          } catch {
            /* storage blocked: the choice lasts until reload */
          }
          render(panel.store.get());
        },
      }),
    (el, list) => {
      setText(el, list.name || list.id);
      setAttr(el, "aria-pressed", active && list.id === active.id ? "true" : "false");
    },
  );
}

function renderStandby(list) {
  const cues = list ? list.cues : [];
  const standby = list && cues.find((cue) => cue.number === list.standby);
  const next = list && cues.find((cue) => cue.number === list.next);
  setText($("standby-number"), standby ? standby.number : "–");
  setText($("standby-name"), standby ? standby.name : "End of the cue list");
  setText($("standby-notes"), standby ? standby.notes : "");
  setText($("next-number"), next ? next.number : "–");
  setText($("next-name"), next ? next.name : "");
  setClass($("standby-card"), "at-end", !standby);
}

function renderCues(state, list) {
  const container = $("cues");
  keyed(container, list ? list.cues : [], (cue) => cue.number, createCueRow, (row, cue) => {
    const isStandby = list.standby === cue.number;
    const shownState = !cue.armed && cue.state === "idle" ? "disarmed" : cue.state;
    row.className = `cue state-${cue.state}`;
    setClass(row, "disarmed", !cue.armed);
    setClass(row, "is-standby", isStandby);
    setClass(row, "is-next", list.next === cue.number);
    row.style.setProperty("--depth", String(cue.depth || 0));
    const colour = safeColour(cue.colour);
    row.style.setProperty("--cue-colour", colour || "transparent");
    const button = row.firstElementChild;
    setAttr(button, "aria-current", isStandby ? "step" : null);
    setText(row.querySelector(".cue-number"), cue.number);
    setText(row.querySelector(".cue-name"), cue.name);
    setText(row.querySelector(".cue-notes"), cue.notes || "");
    let label = shownState === "idle" ? "" : shownState;
    if (isStandby && cue.state === "idle") label = "standby";
    setText(row.querySelector(".cue-state"), label);
    row.entry = IN_FLIGHT.has(cue.state) ? findRunning(state, list.id, cue.number) || null : null;
  });
  liveRows = [...container.children].filter((row) => row.entry);
  for (const row of container.children) {
    if (!row.entry) setText(row.querySelector(".cue-remaining"), "");
  }
  const standby = list ? list.standby : null;
  if (standby !== shownStandby) {
    shownStandby = standby;
    const row = container.querySelector(".is-standby");
    if (row) row.scrollIntoView({ block: "center", behavior: "smooth" });
  }
}

function createCueRow(cue) {
  const button = h(
    "button",
    { type: "button", class: "cue-row", "aria-label": `Standby cue ${cue.number}` },
    h("span", { class: "cue-colour", "aria-hidden": "true" }),
    h("span", { class: "cue-number" }),
    h(
      "span",
      { class: "cue-text" },
      h("span", { class: "cue-name" }),
      h("span", { class: "cue-notes" }),
    ),
    h("span", { class: "cue-state" }),
    h("span", { class: "cue-remaining" }),
    h("span", { class: "progress", "aria-hidden": "true" }, h("span", { class: "bar" })),
  );
  button.addEventListener("click", () => panel.send("load", { cue: cue.number }));
  return h("li", {}, button);
}

function runningActions(entry, row) {
  const pause = h("button", { type: "button", class: "small-button" }, "Pause");
  pause.addEventListener("click", () => {
    const paused = row.entry && row.entry.state === "paused";
    panel.send(paused ? "resume" : "pause", { cue: row.entry.number });
  });
  const stop = h("button", { type: "button", class: "small-button stop" }, "Stop");
  stop.addEventListener("click", () => panel.send("stop", { cue: row.entry.number }));
  return [pause, stop];
}

// ---- every frame: countdowns, progress, GO lockout ------------------------------------------

function frame(state, age) {
  tickRunning($("running"), age);
  for (const row of $("running").children) {
    if (!row.entry) continue;
    setText(row.querySelector(".small-button"), row.entry.state === "paused" ? "Resume" : "Pause");
  }
  for (const row of liveRows) {
    const live = liveRunning(row.entry, age);
    setText(row.querySelector(".cue-remaining"), fmtDuration(live.remaining, { tenths: true }));
    row.querySelector(".bar").style.transform = `scaleX(${live.progress.toFixed(4)})`;
  }
  const list = activeList(state);
  const lockedFor = Math.max(0, (state.go_locked_for || 0) - age);
  const go = $("go");
  const connected = panel.socket && panel.socket.connected;
  const noStandby = !list || !list.standby;
  setClass(go, "locked", lockedFor > 0);
  setAttr(go, "aria-disabled", !connected || noStandby ? "true" : null);
  if (!go.classList.contains("holding") && !go.classList.contains("armed")) {
    let hint = modes.go === "tap" ? "" : MODE_LABEL[modes.go];
    if (!connected) hint = "Offline";
    else if (noStandby) hint = "End of list";
    else if (lockedFor > 0) hint = `Locked ${lockedFor.toFixed(1)} s`;
    setText($("go-hint"), hint);
  }
}

// ---- controls ----------------------------------------------------------------------------

function flash(el, name) {
  el.classList.add(name);
  setTimeout(() => el.classList.remove(name), 600);
}

pressable($("go"), {
  mode: () => modes.go,
  holdMs: 600,
  debounceMs: 250,
  onHint: (text) => setText($("go-hint"), text || ""),
  onFire: () => panel.send("go", listPayload()),
});

pressable($("panic"), {
  mode: () => modes.panic,
  holdMs: 1000,
  onHint: (text) => setText($("panic-hint"), text || MODE_LABEL[modes.panic]),
  onFire: () => panel.send("panic", {}),
});
setText($("panic-hint"), MODE_LABEL[modes.panic]);

function onClick(id, handler) {
  const el = $(id);
  el.addEventListener("click", () => {
    if (el.getAttribute("aria-disabled") !== "true") handler(el);
  });
}

onClick("standby-previous", () => panel.send("standby_previous", listPayload()));
onClick("standby-next", () => panel.send("standby_next", listPayload()));
onClick("stop-all", () => panel.send("stop", {}));
onClick("pause-all", (el) => panel.send(el.dataset.action === "resume" ? "resume" : "pause", {}));

const dialog = $("settings");
onClick("open-settings", () => {
  for (const name of ["go", "panic"]) {
    const input = dialog.querySelector(`input[name="${name}-mode"][value="${modes[name]}"]`);
    if (input) input.checked = true;
  }
  dialog.showModal();
});
dialog.addEventListener("change", (event) => {
  const [name] = event.target.name.split("-");
  if (!(name in modes)) return;
  modes[name] = event.target.value;
  saveMode(name, event.target.value);
  setText($("panic-hint"), MODE_LABEL[modes.panic]);
});
