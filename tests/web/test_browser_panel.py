"""The web panel in real headless Chromium: operator GO, viewer follow-along, touch, reconnect."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.config.showfile import load_show
from cuebridge.runtime.daemon import Daemon
from cuebridge.runtime.roles import Role
from cuebridge.sim.base import Faults
from cuebridge.sim.registry import simulator_for

playwright_api = pytest.importorskip("playwright.async_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SOCKET_IO_CLIENT = REPO / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 5000
"""Generous upper bound for one browser-side wait on a loaded 2-core machine."""
SCENARIO_TIMEOUT = 40.0

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
    pytest.mark.skipif(not SOCKET_IO_CLIENT.exists(), reason="socket.io client missing: npm ci"),
]

T = TypeVar("T")
Browser = Any  # playwright.async_api.Browser, kept loose so mypy needs no stubs for tests
Page = Any


class BrowserThread:
    """Playwright and one Chromium for the whole module, on an event loop of their own.

    `web_daemon` runs on each test's own loop, and Playwright objects belong to the loop that
    made them, so the browser lives in a helper thread and tests hand it whole scenarios.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="browser")
        self._playwright: Any = None
        self.browser: Browser = None

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(60)

    async def _open(self) -> None:
        self._playwright = await playwright_api.async_playwright().start()
        self.browser = await self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )

    async def run(self, scenario: Coroutine[Any, Any, T]) -> T:
        """Run `scenario` on the browser's loop while the caller's loop (the daemon) keeps going."""
        future = asyncio.run_coroutine_threadsafe(scenario, self._loop)
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            return await asyncio.wrap_future(future)

    def close(self) -> None:
        async def shut() -> None:
            if self.browser is not None:
                await self.browser.close()
            if self._playwright is not None:
                await self._playwright.stop()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserThread]:
    """One headless Chromium shared by every test in this module."""
    thread = BrowserThread()
    thread.start()
    try:
        yield thread
    finally:
        thread.close()


async def open_view(
    browser: Browser,
    base: str,
    token: str,
    path: str,
    viewport: dict[str, int] = TABLET,
    **ctx: Any,
) -> Page:
    """A fresh browser context logged in with `token` through its share link, showing `path`."""
    context = await browser.new_context(viewport=viewport, **ctx)
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    await page.goto(f"{base}/login?token={token}")
    await page.goto(f"{base}{path}")
    await page.wait_for_selector("body[data-connection='live'][data-states]", timeout=WAIT_MS)
    return page


async def close_pages(*pages: Page) -> None:
    """Close each page's context, failing if any page threw a JavaScript error."""
    errors = [error for page in pages for error in page.errors]
    for page in pages:
        await page.context.close()
    assert errors == [], f"JavaScript errors in the panel: {errors}"


async def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot as a test artifact (artifacts/ is gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


async def text(page: Page, selector: str) -> str:
    return str(await page.text_content(selector) or "").strip()


COUNT_GO_EMITS = """() => {
  window.__goEmits = 0;
  const socket = window.cuebridge.socket;
  const emit = socket.emit.bind(socket);
  socket.emit = (event, ...args) => {
    if (event === "go") window.__goEmits += 1;
    return emit(event, ...args);
  };
}"""

WATCH_STANDBY = """() => {
  window.__changedAt = null;
  const target = document.getElementById("standby-number");
  new MutationObserver(() => { window.__changedAt ??= Date.now(); })
    .observe(target, { childList: true, characterData: true, subtree: true });
}"""

STAMP_PRESS = """() => {
  window.__pressedAt = null;
  document.getElementById("go").addEventListener(
    "pointerdown", () => { window.__pressedAt = Date.now(); }, { capture: true });
}"""


def top_level_numbers(daemon: Daemon) -> list[str]:
    return [cue.number for cue in daemon.show.cue_lists[0].cues]


async def test_operator_go_reaches_viewer_within_200_ms(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    daemon, base, tokens = web_daemon
    numbers = top_level_numbers(daemon)
    first_name = daemon.show.cue_lists[0].cues[0].name

    async def scenario() -> dict[str, Any]:
        operator = await open_view(browser.browser, base, tokens[Role.OPERATOR], "/operator")
        viewer = await open_view(browser.browser, base, tokens[Role.VIEWER], "/viewer")
        try:
            assert await text(viewer, "#standby-number") == numbers[0]
            latencies = []
            for expected in numbers[1:3]:  # cue 3 auto-follows: stop before it
                await viewer.evaluate(WATCH_STANDBY)
                await operator.evaluate(STAMP_PRESS)
                await operator.click("#go")
                await viewer.wait_for_function("window.__changedAt !== null", timeout=WAIT_MS)
                pressed = await operator.evaluate("window.__pressedAt")
                latencies.append(await viewer.evaluate("window.__changedAt") - pressed)
                assert await text(viewer, "#standby-number") == expected
                # Let the server's minimum GO interval pass before the next press.
                await operator.wait_for_selector("#go:not(.locked)", timeout=WAIT_MS)
            first = operator.locator(f'#cues li[data-key="{numbers[0]}"]')
            assert "state-running" in (await first.get_attribute("class") or "") or (
                await operator.locator("#running li").count() > 0
            )
            await operator.wait_for_selector("#running li .run-remaining", timeout=WAIT_MS)
            assert first_name in await text(viewer, "#run-of-show")
            assert await viewer.locator("#running li").count() > 0
            await shot(operator, "operator-tablet")
            await shot(viewer, "viewer-tablet")
            controls = "button, input, select, textarea, [role=button], [contenteditable]"
            control_count = await viewer.locator(controls).count()
            standby_before = await text(viewer, "#standby-number")
            forced = await viewer.evaluate("window.cuebridge.send('go', {})")
            standby_after = await text(viewer, "#standby-number")
            return {
                "latencies": latencies,
                "controls": control_count,
                "forced": forced,
                "standby": (standby_before, standby_after),
            }
        finally:
            await close_pages(operator, viewer)

    result = await browser.run(scenario())
    print("operator click -> viewer DOM change (ms):", result["latencies"])
    assert min(result["latencies"]) < 200, result["latencies"]
    assert max(result["latencies"]) < 1000, result["latencies"]
    assert result["controls"] == 0
    assert result["forced"]["ok"] is False
    assert result["forced"]["code"] == "forbidden"
    assert result["standby"][0] == result["standby"][1] == numbers[2]
    assert daemon.loop.snapshot().lists[0].standby == numbers[2]


async def test_phone_tap_fires_once_and_hold_mode_needs_a_hold(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    daemon, base, tokens = web_daemon
    numbers = top_level_numbers(daemon)

    async def scenario() -> dict[str, Any]:
        phone = await open_view(
            browser.browser,
            base,
            tokens[Role.OPERATOR],
            "/operator",
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
        )
        try:
            await phone.evaluate(COUNT_GO_EMITS)
            await phone.tap("#go")  # touchstart/pointerdown, then the browser's own click
            await phone.wait_for_function(
                f"document.getElementById('standby-number').textContent === {numbers[1]!r}",
                timeout=WAIT_MS,
            )
            tap_emits = await phone.evaluate("window.__goEmits")
            await shot(phone, "operator-phone")
            # Panic defaults to hold-to-fire: a tap sends nothing.
            await phone.tap("#panic")
            panic_hint = await text(phone, "#panic-hint")

            await phone.evaluate("localStorage.setItem('cuebridge.press.go', 'hold')")
            await phone.reload()
            await phone.wait_for_selector("body[data-connection='live'][data-states]")
            await phone.wait_for_selector("#go:not(.locked)", timeout=WAIT_MS)
            await phone.evaluate(COUNT_GO_EMITS)
            box = await phone.locator("#go").bounding_box()
            await phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            await phone.mouse.down()
            await phone.mouse.up()
            await phone.wait_for_timeout(900)  # longer than the 600 ms hold: must not fire
            short_press_emits = await phone.evaluate("window.__goEmits")
            await phone.mouse.down()
            await phone.wait_for_function("window.__goEmits === 1", timeout=WAIT_MS)
            await phone.mouse.up()
            return {"tap": tap_emits, "hint": panic_hint, "short": short_press_emits}
        finally:
            await close_pages(phone)

    result = await browser.run(scenario())
    assert result["tap"] == 1, "one tap must send exactly one GO"
    assert result["short"] == 0, "a short press in hold mode must not fire"
    assert "hold" in result["hint"].lower()
    snapshot = daemon.loop.snapshot()
    assert snapshot.lists[0].standby == numbers[2]
    assert snapshot.panic_until is None


async def test_reconnect_restores_state_changed_while_offline(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    daemon, base, tokens = web_daemon
    numbers = top_level_numbers(daemon)

    async def scenario() -> dict[str, Any]:
        viewer = await open_view(browser.browser, base, tokens[Role.VIEWER], "/viewer")
        operator = await open_view(browser.browser, base, tokens[Role.OPERATOR], "/operator")
        try:
            # Cut the viewer's link and keep it down while the show moves on.
            await viewer.evaluate(
                "window.cuebridge.socket.io.reconnection(false);"
                "window.cuebridge.socket.io.engine.close();"
            )
            await viewer.wait_for_selector("body[data-connection='reconnecting']")
            banner_visible = await viewer.locator("#conn-banner").is_visible()
            await operator.click("#go")
            await operator.wait_for_function(
                f"document.getElementById('standby-number').textContent === {numbers[1]!r}",
                timeout=WAIT_MS,
            )
            stale = await text(viewer, "#standby-number")
            await viewer.evaluate(
                "window.cuebridge.socket.io.reconnection(true); window.cuebridge.socket.connect();"
            )
            await viewer.wait_for_selector("body[data-connection='live']", timeout=WAIT_MS)
            await viewer.wait_for_function(
                f"document.getElementById('standby-number').textContent === {numbers[1]!r}",
                timeout=WAIT_MS,
            )
            stats = await viewer.evaluate("window.cuebridge.stats")
            running = await viewer.locator("#running li").count()
            return {"banner": banner_visible, "stale": stale, "stats": stats, "running": running}
        finally:
            await close_pages(viewer, operator)

    result = await browser.run(scenario())
    assert result["banner"], "a lost connection must be shown"
    assert result["stale"] == numbers[0], "nothing can reach a disconnected panel"
    assert result["stats"]["connects"] == 2
    assert result["stats"]["resyncs"] == 2
    assert result["running"] > 0


async def test_login_page_checks_the_token_and_logout_forgets_it(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    _, base, tokens = web_daemon

    async def scenario() -> dict[str, Any]:
        context = await browser.browser.new_context(viewport=TABLET)
        page = await context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        try:
            await page.goto(f"{base}/operator")  # not logged in: sent to the login page
            at_login = page.url
            await page.fill("#token", "not-a-token")
            await page.click("#login-button")
            await page.wait_for_selector("#login-message:has-text('not accepted')")
            await shot(page, "login")
            await page.fill("#token", tokens[Role.OPERATOR])
            await page.click("#login-button")
            await page.wait_for_url(f"{base}/operator", timeout=WAIT_MS)
            await page.wait_for_selector("body[data-connection='live'][data-role='operator']")
            await page.goto(f"{base}/login?logout=1")
            await page.wait_for_selector("#login-message:has-text('Logged out')")
            await page.goto(f"{base}/operator")
            return {"at_login": at_login, "after_logout": page.url}
        finally:
            await close_pages(page)

    result = await browser.run(scenario())
    assert result["at_login"].startswith(f"{base}/login")
    assert result["after_logout"].startswith(f"{base}/login")


class FakeSimulator:
    """A stand-in simulator with a fixed state shape: enough for the panel to draw it."""

    def __init__(self, name: str, kind: str, state: dict[str, Any]) -> None:
        self._name = name
        self._kind = kind
        self.current = state
        self.faults = Faults()

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def port(self) -> int:
        return 0

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {"kind": self._kind, **copy.deepcopy(self.current)}

    def stats(self) -> dict[str, Any]:
        return {}


FAKE_SIMS: dict[str, FakeSimulator] = {}


def fake_simulators() -> dict[str, FakeSimulator]:
    """One simulator per panel renderer, plus a kind the panel has never heard of."""
    FAKE_SIMS.clear()
    universe = [0] * 512
    universe[40:44] = [255, 0, 85, 255]
    FAKE_SIMS.update(
        foh=FakeSimulator(
            "foh",
            "mixer",
            {
                "channels": {
                    "1": {"fader": 0.75, "db": 0.0, "on": True, "name": "Lav"},
                    "2": {"fader": 0.0, "db": None, "on": False, "name": "Handheld"},
                },
                "buses": {"1": {"fader": 0.5, "db": -10.0, "on": True, "name": "PA"}},
                "main": {"fader": 0.75, "db": 0.0, "on": True, "name": ""},
                "scene": 4,
            },
        ),
        lx=FakeSimulator(
            "lx",
            "sacn",
            {
                "universes": {"1": universe},
                "fixtures": {
                    "cyc": {
                        "type": "rgb",
                        "universe": 1,
                        "address": 41,
                        "values": {"intensity": 100.0, "red": 0.0, "green": 33.33, "blue": 100.0},
                        "colour": "#0055ff",
                    }
                },
                "sources": [],
            },
        ),
        media=FakeSimulator(
            "media", "media", {"layers": {"1": {"clip": 3, "opacity": 0.5}}, "column": None}
        ),
        music=FakeSimulator("music", "teapot", {"temperature": 92, "spout": {"open": True}}),
    )
    return dict(FAKE_SIMS)


@pytest.mark.parametrize("web_daemon", [{"simulators": fake_simulators}], indirect=True)
async def test_devices_view_draws_simulators_and_switches_faults(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    _, base, tokens = web_daemon
    pages: dict[str, Page] = {}

    async def first_look() -> dict[str, Any]:
        admin = pages["admin"] = await open_view(
            browser.browser, base, tokens[Role.ADMIN], "/devices"
        )
        viewer = pages["viewer"] = await open_view(
            browser.browser, base, tokens[Role.VIEWER], "/devices"
        )
        foh = "#device-foh"
        await admin.wait_for_selector(f"{foh} .strip")
        seen = {
            "strips": await admin.locator(f"{foh} .strip").count(),
            "fill": await admin.locator(f"{foh} .strip .fill").first.get_attribute("style"),
            "muted": await admin.locator(f"{foh} .strip.off .strip-db").first.text_content(),
            "scene": await text(admin, f"{foh} .sim-meta"),
            "swatch": await admin.locator("#device-lx .swatch").evaluate(
                "el => getComputedStyle(el).backgroundColor"
            ),
            "layer": await text(admin, "#device-media .level-name"),
            "green": await text(admin, "#device-lx .level:nth-child(3) .level-value"),
            "generic": await text(admin, "#device-music .key-values"),
            "badge": await admin.locator(f"{foh} .sim-badge").is_visible(),
            "admin_faults": await admin.locator(f"{foh} .faults").is_visible(),
            "viewer_faults": await viewer.locator(f"{foh} .faults").is_visible(),
            "viewer_buttons": await viewer.locator("main button").count(),
        }
        await admin.click(f"{foh} .faults summary")
        await admin.click(f"{foh} [data-fault='offline']")
        await admin.wait_for_selector(f"{foh} [data-fault='offline'][aria-pressed='true']")
        await shot(admin, "devices-tablet", full_page=True)
        return seen

    async def after_fader_move() -> str:
        admin = pages["admin"]
        await admin.wait_for_function(
            "document.querySelector('#device-foh .strip .fill').style.height === '25%'",
            timeout=WAIT_MS,
        )
        return await text(admin, "#device-foh .strip-db")

    try:
        seen = await browser.run(first_look())
        FAKE_SIMS["foh"].current["channels"]["1"] = {"fader": 0.25, "db": -20.0, "on": True}
        moved_db = await browser.run(after_fader_move())
    finally:
        await browser.run(close_pages(*pages.values()))
    assert seen["strips"] == 4  # two channels, one bus, the main
    assert seen["green"] == "33%"  # fixture values are in percent, the patch default
    assert "height: 75%" in seen["fill"]
    assert seen["muted"] == "−∞"
    assert seen["scene"] == "Scene 4"
    assert seen["swatch"] == "rgb(0, 85, 255)"
    assert seen["layer"] == "Layer 1 · clip 3"
    assert "temperature" in seen["generic"]
    assert "92" in seen["generic"]
    assert seen["badge"]
    assert seen["admin_faults"]
    assert not seen["viewer_faults"]
    assert seen["viewer_buttons"] == 0
    assert FAKE_SIMS["foh"].faults.offline is True
    assert moved_db == "-20.0"


def real_simulators() -> dict[str, Any]:
    """The bundled simulators for every device of the demo show, as `cuebridge demo` has them."""
    catalog = ProfileCatalog.load(default_profile_dirs())
    show = load_show(REPO / "show_files" / "keynote.yaml", catalog)
    sims = {}
    for name, device in show.devices.items():
        profile = catalog.get(device.profile)
        if profile is not None and profile.protocol in ("osc", "sacn"):
            sims[name] = simulator_for(device, profile)
    return sims


@pytest.mark.parametrize("web_daemon", [{"simulators": real_simulators}], indirect=True)
async def test_devices_view_draws_the_bundled_simulators(
    web_daemon: tuple[Daemon, str, dict[Role, str]], browser: BrowserThread
) -> None:
    daemon, base, tokens = web_daemon

    async def scenario() -> dict[str, Any]:
        page = await open_view(browser.browser, base, tokens[Role.VIEWER], "/devices")
        try:
            await page.wait_for_selector("#device-foh .strip")
            kinds = await page.eval_on_selector_all(
                ".device-card",
                "cards => cards.map(c => [c.id, c.querySelector('.sim-state')"
                ".dataset.kind, c.querySelector('.sim-state').textContent.length])",
            )
            strips = await page.locator("#device-foh .strip").count()
            return {"kinds": kinds, "strips": strips}
        finally:
            await close_pages(page)

    result = await browser.run(scenario())
    drawn = {card: (kind, length) for card, kind, length in result["kinds"]}
    for name, sim in daemon.simulators.items():
        kind, length = drawn[f"device-{name}"]
        assert kind == sim.kind, f"{name} drawn as {kind}, simulator is {sim.kind}"
        assert length > 0, f"{name}: simulator state drawn empty"
    assert result["strips"] >= 32  # an X32: 32 channels, plus buses, DCAs and the main
