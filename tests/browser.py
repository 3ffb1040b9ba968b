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


@contextmanager
def serve_app(tmp_path, port: int, **env_extra: str) -> Iterator[tuple[str, int, object, object]]:
    """``make app`` as the Makefile starts it (scripts/serve.sh: a token per run, the URL it
    prints), on ``port``, with a workspace ``tmp_path/我的数据``: yields (url, pid, workspace,
    log). Stopped (its process group) on exit."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import pytest

    root = Path(__file__).resolve().parents[1]
    workspace = tmp_path / "我的数据"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VENV": str(Path(sys.executable).parents[1]),
           "PORT": str(port), "EVALTOOLS_WORKSPACE": str(workspace), "PYTHONPATH": str(root),
           **env_extra}
    env.pop("POOL", None)  # the default, as `make app`
    log = tmp_path / "serve.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(["bash", str(root / "scripts" / "serve.sh"), "app"], cwd=root,
                                stdout=fh, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)

    def listening(p: int) -> bool:
        with socket.socket() as s:
            s.settimeout(1)
            return s.connect_ex(("127.0.0.1", p)) == 0

    try:
        url = None
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"make app exited: {log.read_text()[-3000:]}")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=[0-9a-f]{32}", log.read_text())
            if m and listening(int(m.group(1))):
                url = m.group(0)
                break
            time.sleep(0.5)
        if url is None:
            pytest.fail(f"the app did not start in 120 s: {log.read_text()[-3000:]}")
        yield url, proc.pid, workspace, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
