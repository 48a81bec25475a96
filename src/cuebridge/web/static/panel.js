// Shared panel runtime: socket.io connection with auth and reconnect, server clock, state store,
// commands with ack/error tracking, toasts and the header every view shares.

import { fmtDuration, fmtTimeOfDay, setAttr, setClass, setText, timeOfDay } from "./dom.js";

export * from "./dom.js";

const ROLE_RANK = { none: 0, viewer: 1, operator: 2, admin: 3 };
const COMMAND_TIMEOUT_MS = 3000;
const SILENCE_LIMIT_MS = 5000; // the server ticks every second; this long without news = dead link
const ERROR_TEXT = {
  forbidden: "Not allowed for your role",
  "bad-request": "The server did not understand that",
  "unknown-cue": "No such cue",
  "rate-limited": "Too many commands at once: slow down",
  ignored: "Ignored by the engine",
  unsupported: "Not supported by this server",
  timeout: "No answer from the server",
  offline: "Not connected: nothing was sent",
};

/** Whether `role` is at least `minimum` (viewer < operator < admin). */
export function roleAtLeast(role, minimum) {
  return (ROLE_RANK[role] ?? 0) >= (ROLE_RANK[minimum] ?? 0);
}

/** The latest full state, with subscribers called on every change. */
export function createStore() {
  let state = null;
  const subscribers = new Set();
  return {
    get: () => state,
    set(next) {
      state = next;
      for (const fn of subscribers) fn(state);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/**
 * The server's monotonic clock seen from here. Every message stamped with `server_time` is a
 * sample; network delay only ever makes a sample late, so the largest offset is the best one.
 */
export function createServerClock() {
  let offset = null;
  const local = () => performance.now() / 1000;
  return {
    sample(serverTime) {
      if (typeof serverTime !== "number") return;
      const estimate = serverTime - local();
      // A much smaller estimate means the clocks jumped (sleep, server restart): start over.
      if (offset === null || estimate > offset || estimate < offset - 0.5) offset = estimate;
    },
    reset() {
      offset = null;
    },
    now() {
      return offset === null ? null : local() + offset;
    },
  };
}

/** Seconds since `state` was built on the server (0 before the clock is known). */
export function ageOf(state, clock) {
  const now = clock.now();
  if (!state || now === null || typeof state.server_time !== "number") return 0;
  return Math.max(0, now - state.server_time);
}

/** A running cue's remaining time and progress now, counted on from the last state. */
export function liveRunning(entry, age) {
  if (entry.state === "paused") return { remaining: entry.remaining, progress: entry.progress };
  const remaining = Math.max(0, entry.remaining - age);
  let progress = entry.progress;
  if (entry.state === "running" && entry.progress < 1 && entry.remaining > 0) {
    const actionLength = entry.remaining / (1 - entry.progress);
    progress = Math.min(1, 1 - remaining / actionLength);
  }
  return { remaining, progress };
}

/** Show a short message at the bottom of the screen; tap it to dismiss. */
export function toast(message, level = "error") {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `toast toast-${level}`;
  item.setAttribute("role", level === "error" ? "alert" : "status");
  item.textContent = message;
  item.addEventListener("click", () => item.remove());
  box.append(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), level === "error" ? 6000 : 3500);
}

function describeError(err) {
  const base = ERROR_TEXT[err.code] || err.code || "Error";
  const what = err.event ? `${err.event.replace(/_/g, " ").toUpperCase()}: ` : "";
  return err.message && err.message !== base ? `${what}${base} (${err.message})` : `${what}${base}`;
}

/**
 * Connect the page to the daemon and keep it connected.
 * `view` names the page; `minRole` sends lower roles elsewhere; `onState(state)` renders;
 * `onFrame(state, age)` runs every animation frame for countdowns; `onError(error)` hears every
 * rejection (toasts are shown anyway).
 */
export function startPanel({
  view,
  minRole = "viewer",
  onState = () => {},
  onFrame = () => {},
  onError = () => {},
}) {
  const store = createStore();
  const clock = createServerClock();
  const pending = new Map();
  const stats = { states: 0, connects: 0, resyncs: 0, errors: [] };
  let nextId = 1;
  let lastHeard = performance.now();
  const panel = { view, store, clock, stats, role: null, socket: null, send, resync };
  window.cuebridge = panel; // for people debugging at the venue and for the browser tests

  if (typeof window.io !== "function") {
    setConnection("failed", "Panel client missing: run `npm ci` on the show machine");
    return panel;
  }
  const socket = window.io({
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
    randomizationFactor: 0.3,
    timeout: 4000,
  });
  panel.socket = socket;
  setConnection("connecting", "Connecting…");

  socket.on("connect", () => {
    stats.connects += 1;
    lastHeard = performance.now();
    setConnection("live", "Live");
    resync();
  });
  socket.on("disconnect", (reason) => {
    failPending("offline");
    socket.sendBuffer = []; // never replay a GO typed while offline
    setConnection("reconnecting", "Connection lost: reconnecting…");
    // The client does not retry after the server closed the session itself: retry anyway;
    // a revoked token then ends at the login page through connect_error.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 500);
  });
  socket.on("connect_error", (err) => {
    if (err && err.message === "unauthorized") {
      setConnection("unauthorized", "Not logged in");
      const next = encodeURIComponent(location.pathname);
      location.replace(`/login?next=${next}`);
      return;
    }
    if (!socket.active) {
      // Refused by the server itself (e.g. origin not allowed): retrying would not help.
      setConnection("failed", `Refused by the show machine (${err.message})`);
      return;
    }
    setConnection("reconnecting", "Cannot reach the show machine: retrying…");
  });
  socket.io.on("reconnect_attempt", (attempt) => {
    setConnection("reconnecting", `Reconnecting (attempt ${attempt})…`);
  });
  socket.on("hello", (hello) => {
    lastHeard = performance.now();
    clock.reset();
    clock.sample(hello.server_time);
    panel.role = hello.role;
    document.body.dataset.role = hello.role;
    applyRole(hello.role);
    if (!roleAtLeast(hello.role, minRole)) location.replace("/viewer");
  });
  socket.on("state", (state) => {
    lastHeard = performance.now();
    clock.sample(state.server_time);
    stats.states += 1;
    document.body.dataset.states = String(stats.states);
    try {
      renderHeader(state);
      store.set(state);
      onState(state);
    } catch (error) {
      // Keep the connection and the next update alive; still report the bug loudly.
      setTimeout(() => {
        throw error;
      });
    }
  });
  socket.on("tick", (tick) => {
    lastHeard = performance.now();
    clock.sample(tick.server_time);
  });
  socket.on("ack", (ack) => settle(ack, { ok: true }));
  socket.on("error", (err) => {
    stats.errors = [...stats.errors.slice(-49), err];
    onError(err);
    if (!settle(err, { ok: false, code: err.code, message: err.message })) {
      toast(describeError(err), err.code === "ignored" ? "warning" : "error");
    }
  });

  function send(event, payload = {}) {
    if (!socket.connected) {
      toast(describeError({ event, code: "offline" }));
      return Promise.resolve({ ok: false, code: "offline" });
    }
    const id = `c${nextId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        toast(describeError({ event, code: "timeout" }));
        resolve({ ok: false, code: "timeout" });
      }, COMMAND_TIMEOUT_MS);
      pending.set(id, { event, resolve, timer });
      socket.emit(event, { ...payload, id });
    });
  }

  // Settle the command an ack/error answers (by its echoed id); errors are also shown.
  // False if it answers nothing pending, e.g. the engine refusing a GO after its ack.
  function settle(message, result) {
    const id = message && message.id;
    const entry = typeof id === "string" ? pending.get(id) : undefined;
    if (!entry) return false;
    pending.delete(id);
    clearTimeout(entry.timer);
    if (!result.ok) toast(describeError(message), message.code === "ignored" ? "warning" : "error");
    entry.resolve(result);
    return true;
  }

  function failPending(code) {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.resolve({ ok: false, code });
      pending.delete(id);
    }
  }

  function resync() {
    if (!socket.connected) return;
    stats.resyncs += 1;
    socket.emit("resync", {});
  }

  function frame() {
    requestAnimationFrame(frame); // first, so one failing frame never freezes the countdowns
    const state = store.get();
    if (socket.connected && performance.now() - lastHeard > SILENCE_LIMIT_MS) {
      lastHeard = performance.now();
      setConnection("reconnecting", "No heartbeat from the show machine: reconnecting…");
      socket.io.engine.close(); // the manager reconnects on its own
    }
    if (state) {
      const age = ageOf(state, clock);
      renderClocks(state, age);
      onFrame(state, age);
    }
  }
  requestAnimationFrame(frame);
  wireCommon();
  return panel;
}

function setConnection(status, text) {
  document.body.dataset.connection = status;
  const pill = document.getElementById("connection");
  if (pill) setText(pill, text);
  const banner = document.getElementById("conn-banner");
  if (banner) {
    banner.hidden = status === "live" || status === "connecting";
    setText(banner, `${text} Shown data may be out of date.`);
  }
}

function applyRole(role) {
  for (const el of document.querySelectorAll("[data-min-role]")) {
    el.hidden = !roleAtLeast(role, el.dataset.minRole);
  }
  const label = document.getElementById("role");
  if (label) setText(label, role);
}

function renderHeader(state) {
  const title = document.getElementById("show-title");
  if (title && state.show) setText(title, state.show.title);
  if (state.show) {
    document.title = `${state.show.title} · ${document.body.dataset.viewTitle || "cuebridge"}`;
  }
  setClass(document.body, "panic", state.panic);
}

function renderClocks(state, age) {
  const wall = document.getElementById("wall-clock");
  if (wall) {
    const base = timeOfDay(state.wall_time);
    setText(wall, base === null ? "" : fmtTimeOfDay(base + age));
  }
  const show = document.getElementById("show-clock");
  if (show) {
    const running = typeof state.show_clock === "number";
    setText(show, running ? `Show ${fmtDuration(state.show_clock + age)}` : "Show –");
  }
}

function wireCommon() {
  for (const link of document.querySelectorAll("nav.views a")) {
    setAttr(link, "aria-current", link.dataset.view === document.body.dataset.view ? "page" : null);
  }
}
