"""The panel loads only what the daemon serves: no internet at the venue, no missing files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "cuebridge" / "web" / "static"
PAGES = sorted(STATIC.glob("*.html"))
VENDOR = {"/vendor/socket.io.min.js"}
"""Served by the daemon from npm's node_modules (never committed)."""
URL_ATTRIBUTES = {"src", "href", "action", "poster", "data", "formaction"}
ABSOLUTE_URL = re.compile(r"(?:https?:)?//[\w.-]+", re.IGNORECASE)
JS_IMPORT = re.compile(r"""(?:^|\s)(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']""", re.M)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class _References(HTMLParser):
    """Collects every URL-valued attribute in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))


def references(page: Path) -> list[tuple[str, str, str]]:
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


def test_every_view_page_exists() -> None:
    names = {page.name for page in PAGES}
    assert {"login.html", "operator.html", "viewer.html", "devices.html"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_pages_reference_only_same_origin_files_that_exist(page: Path) -> None:
    urls = references(page)
    assert urls, f"{page.name} references nothing: the parser found no links"
    for tag, attribute, url in urls:
        where = f"{page.name}: <{tag} {attribute}={url!r}>"
        assert not ABSOLUTE_URL.match(url), f"{where} leaves the daemon (no internet at the venue)"
        if url.startswith("data:") or url.startswith("#") or tag == "a":
            continue
        if url in VENDOR:
            continue
        assert url.startswith("/static/"), f"{where}: expected /static/<file> or {sorted(VENDOR)}"
        assert (STATIC / url.removeprefix("/static/")).is_file(), f"{where}: no such file"


@pytest.mark.parametrize(
    "asset", sorted([*STATIC.glob("*.js"), *STATIC.glob("*.css")]), ids=lambda path: path.name
)
def test_scripts_and_styles_load_nothing_from_elsewhere(asset: Path) -> None:
    source = asset.read_text(encoding="utf-8")
    assert not re.search(r"https?://", source, re.IGNORECASE), f"{asset.name} names a remote URL"
    targets = JS_IMPORT.findall(source) + CSS_URL.findall(source)
    for target in targets:
        if target.startswith("data:"):
            continue
        assert target.startswith("./"), f"{asset.name}: import {target!r} is not a sibling module"
        assert (STATIC / target.removeprefix("./")).is_file(), f"{asset.name}: {target} missing"


def test_no_third_party_bundles_are_committed() -> None:
    bundled = [
        path.name for path in STATIC.iterdir() if ".min." in path.name or "socket.io" in path.name
    ]
    assert bundled == [], "third-party code comes from npm at setup, not from the repository"


def test_every_page_loads_the_socket_client_before_its_module() -> None:
    for page in PAGES:
        if page.name == "login.html":
            continue
        urls = [url for tag, _, url in references(page) if tag == "script"]
        assert urls[0] in VENDOR, f"{page.name}: load the socket.io client first"
        assert urls[1] == f"/static/{page.stem}.js", f"{page.name}: its own module second"
