"""`make app` as served (scripts/serve.sh: pre-heated Voila kernels, refilled after each
visit): the first page renders offline, and every visit starts fresh — nothing from an earlier
visit's clicks, and the data folders as they are when the page is opened, not as they were when
the kernel was pre-heated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.browser import Served
from tests.browser import offline_page, serve_app

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.browser, pytest.mark.system]


@pytest.fixture
def served_app(tmp_path):
    pytest.importorskip("voila")
    with serve_app(tmp_path, 18966) as (url, pid, workspace, log):
        yield Served(url, pid), workspace, log


def _options(page) -> list[str]:
    return page.locator(".widget-dropdown", has_text="数据文件夹").locator(
        "option").all_inner_texts()


def test_first_page_offline_and_every_visit_fresh(served_app, chromium, test_output):
    app, workspace, log = served_app
    app.settle()  # the pool's kernel has run the notebook and waits for a visit
    with offline_page(chromium, width=1280, height=900) as (page, seen):
        page.goto(app.url, timeout=120_000)
        page.get_by_text("尚未选择数据").first.wait_for(state="visible", timeout=120_000)
        assert "data/sample" in _options(page)
        assert f"{workspace.name}/新数据" not in _options(page)
        # the first visit's clicks: open the sample, go to 检查
        page.locator(".widget-dropdown", has_text="数据文件夹").locator("select").select_option(
            label="data/sample")
        page.get_by_role("button", name="打开").click()
        page.get_by_text("没有发现问题").first.wait_for(state="visible", timeout=120_000)
        assert page.get_by_text("当前数据：sample").count() == 1
        page.close(run_before_unload=True)
    assert seen.external == [], seen.external

    app.settle()  # the pool refilled; the next visit's kernel was pre-heated before ...
    folder = workspace / "新数据"  # ... this folder appeared
    folder.mkdir(parents=True)
    (folder / "units.csv").write_text("unit_id,unit_name\nu1,一号楼\n", encoding="utf-8")
    with offline_page(chromium, width=1280, height=900) as (page, seen):
        page.goto(app.url, timeout=120_000)
        page.get_by_text("尚未选择数据").first.wait_for(state="visible", timeout=120_000)
        page.screenshot(path=test_output / "app_second_visit.png")
        # nothing from the first visit: no data open, the first tab shown
        assert page.get_by_text("当前数据：").count() == 0
        assert page.get_by_text("选择数据").first.is_visible()
        assert not page.get_by_text("没有发现问题").first.is_visible()
        # the folder list as it is now, not as when the kernel was pre-heated
        assert f"{workspace.name}/新数据" in _options(page)
    assert seen.external == [], seen.external
    used = re.findall(r"Using pre-heated kernel: ([0-9a-f-]+)", log.read_text())
    assert len(used) == 2 and used[0] != used[1], used  # both visits from the pool, two kernels
