// Rendering pieces more than one view uses: notices banner, device status strip, running cues.

import { fmtDuration, h, keyed, setAttr, setClass, setText } from "./dom.js";
import { liveRunning } from "./panel.js";

const dismissedNotices = new Set();

function noticeKey(notice) {
  return `${notice.topic || ""}|${notice.at}|${notice.message}`;
}

/**
 * Show the server's notices, errors first and in red. With `dismissible`, each one gets a
 * button that hides it on this screen only (it stays on every other panel).
 */
export function renderNotices(container, notices, { dismissible = false } = {}) {
  const rank = { error: 0, warning: 1, info: 2 };
  const shown = (notices || [])
    .filter((notice) => !dismissedNotices.has(noticeKey(notice)))
    .sort((a, b) => (rank[a.level] ?? 3) - (rank[b.level] ?? 3) || b.at - a.at);
  container.hidden = shown.length === 0;
  keyed(
    container,
    shown,
    noticeKey,
    (notice) => {
      const item = h(
        "div",
        {
          class: `notice notice-${notice.level}`,
          role: notice.level === "error" ? "alert" : "status",
        },
        h("span", { class: "notice-level" }, notice.level),
        h("span", { class: "notice-text" }, notice.message),
      );
      if (dismissible) {
        const attrs = { type: "button", class: "notice-close", "aria-label": "Hide" };
        const close = h("button", attrs, "×");
        close.addEventListener("click", () => {
          dismissedNotices.add(noticeKey(notice));
          item.remove();
          container.hidden = container.children.length === 0;
        });
        item.append(close);
      }
      return item;
    },
    () => {},
  );
}

/** One pill per device, coloured by health; each links to its card on the devices view. */
export function renderDeviceStrip(container, devices) {
  keyed(
    container,
    devices || [],
    (device) => device.name,
    (device) =>
      h(
        "a",
        { class: "device-pill", href: `/devices#device-${encodeURIComponent(device.name)}` },
        h("span", { class: "dot", "aria-hidden": "true" }),
        h("span", { class: "device-name" }),
        h("span", { class: "device-status" }),
      ),
    (el, device) => {
      el.className = `device-pill status-${device.status}`;
      setText(el.querySelector(".device-name"), device.name);
      const status = device.simulated ? `${device.status} (sim)` : device.status;
      setText(el.querySelector(".device-status"), status);
      setAttr(el, "title", device.detail || null);
    },
  );
}

/** The running entry for cue `number` in list `listId`, if it is in flight. */
export function findRunning(state, listId, number) {
  return (state.running || []).find((entry) => entry.list === listId && entry.number === number);
}

/**
 * Running cues with a progress bar and time remaining. `actions(entry)` may return buttons
 * for each row (the operator view's pause/stop); the viewer passes none.
 */
export function renderRunning(container, running, { actions = null, large = false } = {}) {
  keyed(
    container,
    running || [],
    (entry) => `${entry.list}/${entry.number}`,
    (entry) => {
      const row = h(
        "li",
        { class: large ? "running-row large" : "running-row" },
        h("span", { class: "run-number" }),
        h("span", { class: "run-name" }),
        h("span", { class: "run-state" }),
        h("span", { class: "run-remaining", "aria-label": "time remaining" }),
      );
      if (actions) row.append(h("span", { class: "run-actions" }, ...actions(entry, row)));
      const bar = h("span", { class: "bar" });
      row.append(h("span", { class: "progress", "aria-hidden": "true" }, bar));
      return row;
    },
    (row, entry) => {
      row.dataset.state = entry.state;
      row.entry = entry;
      setText(row.querySelector(".run-number"), entry.number);
      setText(row.querySelector(".run-name"), entry.name);
      setText(row.querySelector(".run-state"), entry.state);
    },
  );
  setClass(container, "empty", (running || []).length === 0);
}

/** Move every running row's bar and countdown on to `age` seconds after the last state. */
export function tickRunning(container, age) {
  for (const row of container.children) {
    if (!row.entry) continue;
    const live = liveRunning(row.entry, age);
    setText(row.querySelector(".run-remaining"), fmtDuration(live.remaining, { tenths: true }));
    row.querySelector(".bar").style.transform = `scaleX(${live.progress.toFixed(4)})`;
  }
}
