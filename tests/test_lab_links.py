"""`make lab` as a user meets it (issue 15): started like the Makefile (scripts/serve.sh: free
port, a token per run, the printed URL logs in), the project folder as JupyterLab's root, and
from the browser alone every file notebook 08 published downloads through the links under its
last cell (the notebook as committed, untrusted: JupyterLab keeps only safe HTML)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser import offline_page

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/08_发布榜单.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.system]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def lab_url(tmp_path):
    pytest.importorskip("jupyterlab")
    venv = Path(sys.executable).parents[1]
    env = {**os.environ, "VENV": str(venv), "PORT": "18888", "PYTHONPATH": str(ROOT)}
    log = tmp_path / "lab.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve.sh"), "lab"], cwd=ROOT,
                                stdout=fh, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"make lab exited: {log.read_text()[-3000:]}")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/lab/tree/notebooks\?token=[0-9a-f]{32}",
                          log.read_text())
            if m and _listening(int(m.group(1))):
                yield m.group(0)
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start in 120 s: {log.read_text()[-3000:]}")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_every_published_file_of_notebook_08_downloads_from_the_browser(lab_url, chromium,
                                                                        tmp_path):
    out = ROOT / "输出" / "榜单"
    if not out.is_dir():  # notebook 08 writes them when it runs (nbval, build_notebooks.py)
        subprocess.run([sys.executable, "-m", "evaltools.cli", "publish", "data/sample",
                        "--out", str(out)], cwd=ROOT, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = lab_url.replace("/lab/tree/notebooks?", f"/lab/tree/{NOTEBOOK}?")
    with offline_page(chromium, width=1280, height=900) as (page, seen):
        page.goto(url, timeout=120_000)
        links = page.locator(".jp-OutputArea-output a", has_text=re.compile(r"\.(html|pdf|xlsx|csv|png|svg)$"))
        links.first.wait_for(timeout=120_000)
        names = links.all_inner_texts()
        assert {"榜单公示.html", "榜单.xlsx", "榜单.csv", "海报.png"} <= set(names), names
        for i, name in enumerate(names):
            link = links.nth(i)
            link.scroll_into_view_if_needed()
            with page.expect_download(timeout=30_000) as info:
                link.click()
            target = tmp_path / name
            info.value.save_as(target)
            assert target.read_bytes() == (out / name).read_bytes(), name
        assert seen.external == [], seen.external
