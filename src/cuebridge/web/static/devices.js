// Devices view: every device's health and, in rehearsal, its simulator's live state and faults.

import { h, keyed, roleAtLeast, setAttr, setClass, setText, startPanel } from "./panel.js";
import { renderSim } from "./simviews.js";
import { renderNotices } from "./widgets.js";

const $ = (id) => document.getElementById(id);
const DROP_STEPS = [0, 0.1, 0.5, 1];
const DELAY_STEPS = [0, 0.2, 1, 3];
let scrolledToHash = false;

const panel = startPanel({ view: "devices", onState: render });

function render(state) {
  const devices = state.devices || [];
  const simulated = devices.filter((device) => device.simulated).length;
  const healthy = ["ok", "simulated", "logging"];
  const unhealthy = devices.filter((device) => !healthy.includes(device.status)).length;
  setText(
    $("devices-summary"),
    `${devices.length} device${devices.length === 1 ? "" : "s"}` +
      (simulated ? ` · ${simulated} simulated (rehearsal)` : "") +
      (unhealthy ? ` · ${unhealthy} need attention` : ""),
  );
  const admin = roleAtLeast(panel.role, "admin");
  const update = (card, device) => updateCard(card, device, admin);
  keyed($("devices"), devices, (device) => device.name, createCard, update);
  renderNotices($("notices"), state.notices);
  if (!scrolledToHash && location.hash) {
    scrolledToHash = true;
    document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  }
}

function createCard(device) {
  return h(
    "article",
    { class: "device-card", id: `device-${device.name}` },
    h(
      "header",
      { class: "device-head" },
      h("span", { class: "dot", "aria-hidden": "true" }),
      h("h2", { class: "device-title" }, device.name),
      h("span", { class: "badge sim-badge" }, "simulated"),
      h("span", { class: "device-status" }),
    ),
    h("div", { class: "device-kind muted" }),
    h("div", { class: "device-detail" }),
    h(
      "details",
      { class: "faults" },
      h("summary", {}, "Fault injection ", h("span", { class: "fault-summary" })),
      h("div", { class: "fault-controls", role: "group", "aria-label": "fault injection" }),
    ),
    h("div", { class: "sim-state" }),
  );
}

function updateCard(card, device, admin) {
  card.className = `device-card status-${device.status}`;
  setText(card.querySelector(".device-status"), device.status);
  const kind = [device.profile, device.protocol].filter(Boolean).join(" · ");
  setText(card.querySelector(".device-kind"), kind);
  setText(card.querySelector(".device-detail"), device.detail || "");
  card.querySelector(".sim-badge").hidden = !device.simulated;
  const faults = card.querySelector(".faults");
  faults.hidden = !(admin && device.simulated && device.faults);
  if (!faults.hidden) renderFaults(faults, device);
  const sim = card.querySelector(".sim-state");
  sim.hidden = !device.sim;
  if (device.sim) renderSim(sim, device.sim);
}

function setFault(device, change) {
  panel.send("fault", { device, ...change });
}

function toggle(faults, name, label, device) {
  let button = faults.querySelector(`[data-fault="${name}"]`);
  if (!button) {
    button = h("button", { type: "button", class: "toggle", dataset: { fault: name } }, label);
    button.addEventListener("click", () => {
      setFault(button.dataset.device, { [name]: button.getAttribute("aria-pressed") !== "true" });
    });
    faults.append(button);
  }
  button.dataset.device = device.name;
  setAttr(button, "aria-pressed", device.faults[name] ? "true" : "false");
}

function steps(faults, name, label, values, format, device) {
  let group = faults.querySelector(`[data-fault="${name}"]`);
  if (!group) {
    group = h(
      "div",
      { class: "segmented", role: "group", "aria-label": label, dataset: { fault: name } },
      h("span", { class: "segmented-label" }, label),
    );
    for (const value of values) {
      const attrs = { type: "button", dataset: { value: String(value) } };
      const button = h("button", attrs, format(value));
      button.addEventListener("click", () => setFault(group.dataset.device, { [name]: value }));
      group.append(button);
    }
    faults.append(group);
  }
  group.dataset.device = device.name;
  const current = Number(device.faults[name]) || 0;
  for (const button of group.querySelectorAll("button")) {
    setAttr(button, "aria-pressed", Number(button.dataset.value) === current ? "true" : "false");
  }
}

function renderFaults(faults, device) {
  const controls = faults.querySelector(".fault-controls");
  const state = device.faults;
  toggle(controls, "offline", "Offline", device);
  toggle(controls, "ignore_probes", "Ignore probes", device);
  const percent = (value) => `${Math.round(value * 100)}%`;
  steps(controls, "drop_rate", "Drop", DROP_STEPS, percent, device);
  steps(controls, "delay", "Delay", DELAY_STEPS, (value) => `${value} s`, device);
  const active = [
    state.offline && "offline",
    state.ignore_probes && "ignoring probes",
    state.drop_rate > 0 && `dropping ${Math.round(state.drop_rate * 100)}%`,
    state.delay > 0 && `delay ${state.delay} s`,
  ].filter(Boolean);
  const summary = active.length ? `· ${active.join(", ")}` : "· none";
  setText(faults.querySelector(".fault-summary"), summary);
  setClass(faults, "faulty", active.length > 0);
}
