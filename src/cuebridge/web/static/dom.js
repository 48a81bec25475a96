// Small DOM and formatting helpers shared by every view (no framework, no build step).

/** Create an element: h("div", {class: "x", dataset: {cue: "1"}, onclick: fn}, child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Set text only when it changed, so observers and layout see real changes only. */
export function setText(el, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** Toggle a class and report whether anything changed. */
export function setClass(el, name, on) {
  if (el.classList.contains(name) === Boolean(on)) return false;
  el.classList.toggle(name, Boolean(on));
  return true;
}

/** Set or remove an attribute only when it changed. */
export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else {
    const text = value === true ? "" : String(value);
    if (el.getAttribute(name) !== text) el.setAttribute(name, text);
  }
}

/**
 * Keep `container`'s children in step with `items`: one child per key, created once,
 * updated in place and kept in order (scroll position and focus survive re-renders).
 */
export function keyed(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of container.children) existing.set(child.dataset.key, child);
  let cursor = container.firstElementChild;
  for (const item of items) {
    const key = String(keyOf(item));
    let el = existing.get(key);
    if (el) existing.delete(key);
    else {
      el = create(item);
      el.dataset.key = key;
    }
    update(el, item);
    if (el !== cursor) container.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const el of existing.values()) el.remove();
}

/** 75.3 -> "1:15", 3725 -> "1:02:05"; tenths below ten seconds when `tenths` is set. */
export function fmtDuration(seconds, { tenths = false } = {}) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, seconds);
  if (tenths && s < 10) return (Math.floor(s * 10) / 10).toFixed(1);
  const whole = Math.floor(s);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

/** Schedule delta in words: 135 -> "2:15 behind", -30 -> "0:30 ahead", null -> "no plan". */
export function fmtDelta(delta) {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return "no plan";
  if (Math.abs(delta) < 1) return "on time";
  return `${fmtDuration(Math.abs(delta))} ${delta > 0 ? "behind" : "ahead"}`;
}

/** Seconds since midnight in an ISO 8601 time stamp, read as written (the venue's clock). */
export function timeOfDay(iso) {
  if (typeof iso !== "string") return null;
  const match = /(?:T|^)(\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?/.exec(iso);
  if (!match) return null;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] || 0);
}

/** Seconds since midnight -> "19:30:05". */
export function fmtTimeOfDay(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.floor((((seconds % 86400) + 86400) % 86400));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** A colour from the show file if the browser understands it, else null. */
export function safeColour(colour) {
  return typeof colour === "string" && CSS.supports("color", colour) ? colour : null;
}
