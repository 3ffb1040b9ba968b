"""The weight explorer notebook (04) served with Voila and the offline template that `make app`
uses (the app itself, notebook 00, is tested in tests/test_app_flow.py): open it offline in
chromium, move a slider and check that the leaderboard changes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import offline_page

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_权重调整与排名.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.system]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def voila_server(tmp_path):
    pytest.importorskip("voila")
    port = _free_port()
    # as `make app` runs it: the evaltools template (lab without the CDN font links)
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser",
           "--Voila.ip=127.0.0.1", f"--port={port}", "--template=evaltools"]
    log = (tmp_path / "voila.log").open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JUPYTER_PATH": str(ROOT / "jupyter")}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(f"voila exited: {(tmp_path / 'voila.log').read_text()[-2000:]}")
            if _listening(port):
                break
            time.sleep(0.5)
        else:
            pytest.fail("Voila did not start within 60 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _leaderboard_text(page) -> str:
    return page.locator(".widget-output", has_text="较细则默认").first.inner_text()


def test_app_moves_a_slider_and_the_leaderboard_follows(voila_server, chromium, test_output):
    with offline_page(chromium, width=1400, height=1100) as (page, seen):
        page.goto(voila_server, timeout=120_000)
        table = page.locator(".widget-output", has_text="较细则默认").first
        table.wait_for(state="visible", timeout=120_000)
        page.locator(".widget-output :is(svg, img)").first.wait_for(state="visible", timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=test_output / "app_before.png", full_page=True)
        before = _leaderboard_text(page)
        assert "第1名" in before and "粮机厂院" in before

        # the 群众满意度 slider: keyboard on the noUiSlider handle (End = its maximum)
        slider = page.locator(".widget-slider", has_text="群众满意度").first
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        handle.press("End")
        page.wait_for_function(
            "([old]) => { const o = [...document.querySelectorAll('.widget-output')]"
            ".find(e => e.innerText.includes('较细则默认'));"
            " return o && o.innerText !== old; }", arg=[before], timeout=30_000)
        page.wait_for_timeout(1500)  # the charts follow the table
        after = _leaderboard_text(page)
        page.screenshot(path=test_output / "app_after.png", full_page=True)
    assert after != before
    assert "▲" in after or "▼" in after  # ranks moved against the rubric's
    assert seen.external == [], seen.external
