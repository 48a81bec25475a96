// Login page: trade a role token for the session cookie, from the form or a share link.

const form = document.getElementById("login-form");
const input = document.getElementById("token");
const message = document.getElementById("login-message");
const params = new URLSearchParams(location.search);

/** Where to go after logging in: a same-site path only, never another host. */
function nextPath() {
  const next = params.get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

function say(text, level = "error") {
  message.textContent = text;
  message.dataset.level = level;
}

async function logIn(token) {
  say("Checking…", "info");
  form.querySelector("button").disabled = true;
  try {
    const response = await fetch("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token }),
      credentials: "same-origin",
    });
    if (response.ok) {
      const body = await response.json().catch(() => ({}));
      say(`Logged in as ${body.role || "user"}`, "info");
      location.replace(nextPath());
      return;
    }
    const refused = response.status === 401;
    say(refused ? "That token was not accepted." : `Login failed (HTTP ${response.status}).`);
  } catch {
    say("Cannot reach the show machine. Check the network and try again.");
  } finally {
    form.querySelector("button").disabled = false;
  }
}

async function logOut() {
  try {
    await fetch("/api/logout", { method: "POST", credentials: "same-origin" });
    say("Logged out.", "info");
  } catch {
    say("Cannot reach the show machine to log out.");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = input.value.trim();
  if (token) logIn(token);
});

const shared = params.get("token");
const wantsLogout = params.has("logout");
if (shared !== null || wantsLogout) {
  // Keep the token out of the address bar and history once it has been read.
  params.delete("token");
  params.delete("logout");
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}`);
}
if (wantsLogout) logOut();
else if (shared) logIn(shared.trim());
else input.focus();
