// Live simulator state on the devices view: one renderer per simulator kind, and a generic
// key/value view for shapes the panel does not know, so a new simulator needs no panel change.

import { h, keyed, setAttr, setClass, setText } from "./dom.js";

/** Get or create `box`'s child named `name` (created once, in the order first asked for). */
function part(box, name, create = () => h("div")) {
  let el = box.querySelector(`:scope > [data-part="${name}"]`);
  if (!el) {
    el = create();
    el.dataset.part = name;
    box.append(el);
  }
  return el;
}

const byNumber = (a, b) => Number(a[0]) - Number(b[0]) || String(a[0]).localeCompare(String(b[0]));
const entriesOf = (obj) => Object.entries(obj || {}).sort(byNumber);
const missing = (value) => value === null || value === undefined;

function fmtDb(db) {
  if (typeof db !== "number" || !Number.isFinite(db) || db <= -90) return "−∞";
  return `${db > 0 ? "+" : ""}${db.toFixed(1)}`;
}

function createStrip() {
  return h(
    "div",
    { class: "strip" },
    h("span", { class: "strip-db" }),
    h("span", { class: "fader", "aria-hidden": "true" }, h("span", { class: "fill" })),
    h("span", { class: "strip-id" }),
    h("span", { class: "strip-name" }),
  );
}

function faderBank(container, channels, prefix) {
  keyed(container, entriesOf(channels), ([key]) => key, createStrip, (el, [key, ch]) => {
    const level = Math.min(1, Math.max(0, Number(ch.fader) || 0));
    const muted = ch.on === false;
    setText(el.querySelector(".strip-db"), fmtDb(ch.db));
    el.querySelector(".fill").style.height = `${(level * 100).toFixed(1)}%`;
    setText(el.querySelector(".strip-id"), `${prefix}${key}`);
    setText(el.querySelector(".strip-name"), ch.name || "");
    setClass(el, "off", muted);
    const label = `${prefix}${key} ${ch.name || ""} ${fmtDb(ch.db)} dB${muted ? " muted" : ""}`;
    setAttr(el, "aria-label", label);
  });
}

function meta(box, text) {
  setText(part(box, "meta", () => h("div", { class: "sim-meta" })), text);
}

const MIXER_BANKS = [
  ["channels", "Channels", ""],
  ["buses", "Buses", "B"],
  ["dcas", "DCAs", "DCA"],
];

function mixer(box, sim) {
  meta(box, missing(sim.scene) ? "" : `Scene ${sim.scene}`);
  const banks = MIXER_BANKS.map(([key, title, prefix]) => [key, title, prefix, sim[key]]);
  if (sim.main) banks.push(["main", "Main", "", { Main: sim.main }]);
  for (const [key, title, prefix, strips] of banks) {
    const label = h("div", { class: "label" }, title);
    const create = () => h("div", { class: "bank" }, label, h("div", { class: "fader-bank" }));
    const bank = part(box, key, create);
    bank.hidden = entriesOf(strips).length === 0;
    faderBank(bank.lastElementChild, strips, prefix);
  }
}

/** A fixture value as a 0..1 share: in percent (the patch default) or in DMX (0-255). */
function share(value, unit) {
  const full = unit === "dmx" ? 255 : 100;
  return Math.min(1, Math.max(0, (Number(value) || 0) / full));
}

function levelRow() {
  return h(
    "div",
    { class: "level" },
    h("span", { class: "level-name" }),
    h("span", { class: "meter" }, h("span", { class: "fill" })),
    h("span", { class: "level-value" }),
  );
}

function showLevel(el, label, fraction) {
  setText(el.querySelector(".level-name"), label);
  el.querySelector(".fill").style.width = `${(fraction * 100).toFixed(1)}%`;
  setText(el.querySelector(".level-value"), `${Math.round(fraction * 100)}%`);
}

function createFixture() {
  return h(
    "div",
    { class: "fixture" },
    h("span", { class: "swatch", "aria-hidden": "true" }),
    h("span", { class: "fixture-name" }),
    h("span", { class: "fixture-where muted" }),
    h("div", { class: "levels" }),
  );
}

function updateFixture(el, [name, fixture], unit) {
  const swatch = el.querySelector(".swatch");
  swatch.hidden = !fixture.colour;
  if (fixture.colour) swatch.style.background = fixture.colour;
  setText(el.querySelector(".fixture-name"), name);
  const where = `${fixture.type || ""} U${fixture.universe}.${fixture.address}`;
  setText(el.querySelector(".fixture-where"), where);
  const values = Object.entries(fixture.values || {});
  keyed(el.querySelector(".levels"), values, ([key]) => key, levelRow, (row, [key, value]) =>
    showLevel(row, key, share(value, fixture.unit || unit)),
  );
}

function createUniverse() {
  const label = h("div", { class: "label" });
  return h("div", { class: "universe" }, label, h("div", { class: "chips" }));
}

function updateUniverse(el, [number, levels]) {
  const lit = (levels || []).map((value, index) => [index + 1, value]).filter(([, v]) => v > 0);
  const plural = lit.length === 1 ? "" : "s";
  setText(el.querySelector(".label"), `Universe ${number}: ${lit.length} channel${plural} up`);
  const chips = lit.slice(0, 48).map(([address, value]) => `${address}@${value}`);
  setText(el.querySelector(".chips"), chips.join("  ") + (lit.length > 48 ? "  …" : ""));
}

function sacn(box, sim) {
  const fixtures = Object.entries(sim.fixtures || {});
  const universes = entriesOf(sim.universes).length;
  const sources = (sim.sources || []).length;
  const count = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const counts = [count(fixtures.length, "fixture"), count(universes, "universe")];
  meta(box, [...counts, count(sources, "source")].join(" · "));
  const fixtureBox = part(box, "fixtures", () => h("div", { class: "fixtures" }));
  const update = (el, entry) => updateFixture(el, entry, sim.unit);
  keyed(fixtureBox, fixtures, ([name]) => name, createFixture, update);
  const universeBox = part(box, "universes", () => h("div", { class: "universes" }));
  keyed(universeBox, entriesOf(sim.universes), ([n]) => n, createUniverse, updateUniverse);
}

function media(box, sim) {
  meta(box, missing(sim.column) ? "No column" : `Column ${sim.column}`);
  const layers = part(box, "layers", () => h("div", { class: "levels" }));
  keyed(layers, entriesOf(sim.layers), ([layer]) => layer, levelRow, (el, [layer, state]) => {
    const opacity = Math.min(1, Math.max(0, Number(state.opacity) || 0));
    const clip = missing(state.clip) ? "no clip" : `clip ${state.clip}`;
    const bypassed = state.bypassed ? " · bypassed" : "";
    showLevel(el, `Layer ${layer} · ${clip}${bypassed}`, opacity);
  });
}

function bigLines(box, lines) {
  const list = part(box, "lines", () => h("dl", { class: "big-lines" }));
  const create = () => h("div", {}, h("dt"), h("dd"));
  keyed(list, lines, ([label]) => label, create, (el, [label, value]) => {
    setText(el.firstElementChild, label);
    setText(el.lastElementChild, missing(value) || value === "" ? "–" : value);
  });
}

function messages(box, list) {
  const recent = (list || []).slice(-8).reverse();
  const lines = recent.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  const pre = part(box, "messages", () => h("pre", { class: "messages" }));
  setText(pre, lines.join("\n") || "(nothing yet)");
}

function asText(value) {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : value;
}

const RENDERERS = {
  mixer,
  sacn,
  media,
  console: (box, sim) =>
    bigLines(box, [
      ["Active cue", sim.active_cue],
      ["Pending", sim.pending_cue],
      ["Previous", sim.previous_cue],
      ["List", sim.list],
    ]),
  qlab: (box, sim) =>
    bigLines(box, [
      ["Playhead", sim.playhead],
      ["Running", (sim.running || []).map(asText).join(", ")],
    ]),
  midi: (box, sim) => {
    bigLines(box, [
      ["Timecode", sim.timecode],
      ["MSC", asText(sim.msc && sim.msc.last_command)],
    ]);
    messages(box, sim.last);
  },
  osc: (box, sim) => messages(box, sim.last),
};

function describe(value, depth) {
  if (missing(value)) return "–";
  if (Array.isArray(value)) {
    const simple = value.every((item) => item === null || typeof item !== "object");
    if (simple && value.length <= 16) return value.join(", ");
    return `${value.length} items: ${JSON.stringify(value.slice(0, 8)).slice(0, 160)}…`;
  }
  if (typeof value === "object") {
    return depth < 2 ? keyValues(value, depth + 1) : JSON.stringify(value).slice(0, 200);
  }
  return String(value);
}

function keyValues(obj, depth = 0) {
  const rows = Object.entries(obj)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => h("div", {}, h("dt", {}, key), h("dd", {}, describe(value, depth))));
  return h("dl", { class: "key-values" }, ...rows);
}

/** Draw simulator state `sim` into `box`, updating in place while its kind stays the same. */
export function renderSim(box, sim) {
  const kind = sim && typeof sim.kind === "string" && !sim.error ? sim.kind : "generic";
  if (box.dataset.kind !== kind) {
    box.replaceChildren();
    box.dataset.kind = kind;
  }
  if (Object.hasOwn(RENDERERS, kind)) RENDERERS[kind](box, sim);
  else box.replaceChildren(keyValues(sim || {}));
}
