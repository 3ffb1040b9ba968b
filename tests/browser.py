"""Playwright driving Debian's chromium, offline: every request that is not to the page's own
origin (file:// or 127.0.0.1) is recorded and aborted, so a test can assert none was attempted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL = ("file://", "http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@dataclass
class Offline:
    """Requests the page tried to send off this machine (there must be none)."""

    external: list[str] = field(default_factory=list)


@contextmanager
def offline_page(executable: str, *, width: int = 1280, height: int = 900) -> Iterator[tuple]:
    from playwright.sync_api import sync_playwright

    seen = Offline()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})

        def guard(route):
            url = route.request.url
            if url.startswith(LOCAL):
                route.continue_()
            else:
                seen.external.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        try:
            yield page, seen
        finally:
            context.close()
            browser.close()
