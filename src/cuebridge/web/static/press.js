// Touch-safe buttons: fire once per press (no ghost click after a touch), optional
// hold-to-fire or arm-then-fire steps, a client-side debounce, and the per-device settings.

const GHOST_CLICK_MS = 1000; // a click this soon after a handled press is the browser's echo
const ARM_WINDOW_MS = 3000;

export const PRESS_MODES = ["tap", "hold", "arm"];
export const MODE_LABEL = { tap: "Tap", hold: "Hold", arm: "Tap twice" };

/** The press mode saved on this device for `name` ("go", "panic"), or `fallback`. */
export function loadMode(name, fallback) {
  try {
    const saved = localStorage.getItem(`cuebridge.press.${name}`);
    return PRESS_MODES.includes(saved) ? saved : fallback;
  } catch {
    return fallback; // storage blocked (private mode): defaults still work
  }
}

/** Remember the press mode for `name` on this device. */
export function saveMode(name, mode) {
  try {
    localStorage.setItem(`cuebridge.press.${name}`, mode);
  } catch {
    /* storage blocked: the choice lasts until the page reloads */
  }
}

/**
 * Make `button` fire `onFire()` once per press.
 * `mode()` says "tap" (fire on press), "hold" (fire after holding `holdMs`) or "arm"
 * (first press arms for three seconds, the second fires). Presses start on pointerdown or on
 * Enter/Space keydown; the click that follows is ignored, so touch and mouse never fire twice.
 * `onHint(text)` tells the user what to do next ("Hold to fire", "Tap again to fire").
 */
export function pressable(button, { mode, holdMs = 600, debounceMs = 300, onFire, onHint }) {
  let handledAt = -Infinity;
  let firedAt = -Infinity;
  let holdTimer = null;
  let armTimer = null;

  const usable = () => !button.disabled && button.getAttribute("aria-disabled") !== "true";
  const hint = (text) => onHint && onHint(text);

  function fire() {
    const now = performance.now();
    if (now - firedAt < debounceMs) return;
    firedAt = now;
    disarm();
    button.classList.add("fired");
    setTimeout(() => button.classList.remove("fired"), 250);
    onFire();
  }

  function startHold() {
    cancelHold();
    button.style.setProperty("--hold-ms", `${holdMs}ms`);
    button.classList.add("holding");
    hint("Keep holding…");
    holdTimer = setTimeout(() => {
      holdTimer = null;
      button.classList.remove("holding");
      fire();
    }, holdMs);
  }

  function cancelHold() {
    if (holdTimer === null) return;
    clearTimeout(holdTimer);
    holdTimer = null;
    button.classList.remove("holding");
    hint("Hold to fire");
  }

  function arm() {
    button.classList.add("armed");
    hint("Tap again to fire");
    armTimer = setTimeout(disarm, ARM_WINDOW_MS);
  }

  function disarm() {
    if (armTimer !== null) clearTimeout(armTimer);
    armTimer = null;
    if (button.classList.contains("armed")) {
      button.classList.remove("armed");
      hint(null);
    }
  }

  function pressStart() {
    handledAt = performance.now();
    if (!usable()) return;
    const current = mode();
    if (current === "hold") startHold();
    else if (current === "arm" && armTimer === null) arm();
    else fire();
  }

  button.addEventListener("pointerdown", (event) => {
    if (!event.isPrimary || event.button !== 0) return;
    event.preventDefault(); // no focus ring flash, no text selection, no emulated mouse events
    if (mode() === "hold") button.setPointerCapture?.(event.pointerId);
    pressStart();
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    button.addEventListener(type, cancelHold);
  }
  button.addEventListener("keydown", (event) => {
    if ((event.key !== "Enter" && event.key !== " ") || event.repeat) return;
    event.preventDefault();
    pressStart();
  });
  button.addEventListener("keyup", (event) => {
    if (event.key === "Enter" || event.key === " ") cancelHold();
  });
  button.addEventListener("click", (event) => {
    event.preventDefault();
    if (performance.now() - handledAt < GHOST_CLICK_MS) return;
    // A click with no press before it: assistive technology or a script.
    if (mode() === "hold") hint("Hold to fire");
    else pressStart();
  });
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  return { cancel: cancelHold, disarm };
}
