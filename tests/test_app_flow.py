"""The evaluator's app end to end, as a person uses it (issue 15's done-when test).

`make app` is started as the Makefile does (scripts/serve.sh: free port, a token per run, the
URL it prints is the one used), opened in Debian chromium with every off-machine request aborted
and recorded. The test uploads a raw judges' workbook (one sheet per judge, from tests/raw) and a
问卷星 export, answers the open decisions in the form (评委 80% + 满意度 20%, grade bands), sees the
check and the leaderboard, moves a slider, saves the rubric, publishes (the page and the workbook
at once, the PDF and the Word notice a few seconds later), and downloads the HTML, the Excel file,
the PDF, the Word notice and SHA256SUMS; they must equal `evaltools publish` on the same folder
and rubric with the same SOURCE_DATE_EPOCH. Screenshots at 1280 px and 390 px go to test-output/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaltools.writing import verify_set
from tests.browser import offline_page, serve_app
from tests.survey_export import write_survey

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "tests" / "raw" / "good" / "按评委分表" / "2021年第三季度楼栋评比评分表.xlsx"
EPOCH = "1604448000"

pytestmark = [pytest.mark.browser, pytest.mark.system]


@pytest.fixture
def app_server(tmp_path):
    pytest.importorskip("voila")
    with serve_app(tmp_path, 18866, SOURCE_DATE_EPOCH=EPOCH) as (url, _pid, workspace, log):
        yield url, workspace, log


def _wait_text(page, text: str, timeout: int = 120_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout)


def _shot(page, path: Path) -> None:
    """A screenshot of the whole app: Voila scrolls inside a container, so the viewport is made
    as tall as the content for the picture, then put back."""
    size = page.viewport_size
    height = page.evaluate("Math.max(...[...document.querySelectorAll('body *')]"
                           ".map(e => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]),
                                                                  8000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def _table_text(page) -> str:
    return page.locator(".widget-output", has_text="较细则默认").first.inner_text()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_upload_decide_explore_publish_download(app_server, chromium, test_output, tmp_path,
                                                encoding):
    """The whole job in the app from the raw files: the sheet-per-judge workbook and the 问卷星
    export, as UTF-8 with BOM and as GBK (what 问卷星 writes for Excel on Chinese Windows)."""
    url, workspace, _log = app_server
    survey = write_survey(tmp_path / "raw" / "问卷星导出_楼栋满意度.csv")
    if encoding != "utf-8-sig":
        survey.write_bytes(survey.read_bytes().decode("utf-8-sig").encode(encoding))
        test_output = test_output / encoding  # its screenshots beside the UTF-8 run's
        test_output.mkdir(exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with offline_page(chromium, width=1280, height=900) as (page, seen):
        page.goto(url, timeout=120_000)
        _wait_text(page, "楼栋评比评估")
        # 1 选择数据: upload the raw workbook and the 问卷星 export
        with page.expect_file_chooser() as chooser:
            page.locator(".widget-upload").first.click()
        chooser.value.set_files([str(WORKBOOK), str(survey)])
        page.locator(".widget-text", has_text="新文件夹名").locator("input").fill("2021年第三季度")
        page.get_by_role("button", name="导入").click()
        _wait_text(page, "需要您确认的选项")
        _shot(page, test_output / "app_import_1280.png")
        # the decisions, as a form
        page.locator(".widget-dropdown", has_text="评委评分与群众满意度各占多少").locator(
            "select").select_option(label="评委 80% + 满意度 20%")
        page.locator(".widget-dropdown", has_text="是否按总分分等级").locator(
            "select").select_option(label="优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60")
        page.get_by_role("button", name="确认并继续").click()
        # 2 检查
        _wait_text(page, "没有发现问题")
        _shot(page, test_output / "app_check_1280.png")
        # 4 榜单: the explorer follows the slider
        page.get_by_role("button", name="4 榜单").click()
        page.locator(".widget-output", has_text="较细则默认").first.wait_for(timeout=60_000)
        page.locator(".widget-output :is(svg, img)").first.wait_for(state="visible",
                                                                    timeout=60_000)
        before = _table_text(page)
        assert "第1名" in before and "铝厂生活区13号楼" in before
        _shot(page, test_output / "app_board_1280.png")
        handle = page.locator(".widget-slider", has_text="群众满意度").first.locator(
            ".noUi-handle").first
        handle.focus()
        handle.press("PageUp")  # one keyboard page: +2.5 points for 群众满意度
        page.wait_for_function(
            "([old]) => { const o = [...document.querySelectorAll('.widget-output')]"
            ".find(e => e.innerText.includes('较细则默认'));"
            " return o && o.innerText !== old; }", arg=[before], timeout=30_000)
        after = _table_text(page)
        assert after != before
        # unsaved weights: publishing would be a draft
        page.get_by_role("button", name="6 发布").click()
        _wait_text(page, "发布时标为")
        # 3 评分细则: save (round weights, comments kept)
        page.get_by_role("button", name="3 评分细则").click()
        page.get_by_role("button", name="保存评分细则").click()
        _wait_text(page, "已保存", timeout=60_000)
        _shot(page, test_output / "app_rubric_1280.png")
        # 6 发布 → downloads
        page.get_by_role("button", name="6 发布").click()
        _wait_text(page, "发布为正式公示")
        page.get_by_role("button", name="发布榜单").click()
        _wait_text(page, "点击下载", timeout=120_000)  # the page, workbook, charts: at once
        _wait_text(page, "PDF 和 Word 公示正在生成")
        assert page.locator("a.evaltools-download", has_text="榜单公示.docx").count() == 0
        # the PDF and the Word notice follow from a separate process; the kernel answers
        # meanwhile (a tab switch is a round trip to it)
        page.get_by_role("button", name="5 稳健性").click()
        _wait_text(page, "在每个楼栋内部重抽")
        page.get_by_role("button", name="6 发布").click()
        page.locator("a.evaltools-download", has_text="榜单公示.docx").first.wait_for(
            timeout=180_000)
        _wait_text(page, "已全部发布")
        _shot(page, test_output / "app_publish_1280.png")
        got = {}
        for suffix in ("榜单公示.html", "榜单.xlsx", "榜单公示.pdf", "榜单公示.docx", "SHA256SUMS"):
            link = page.locator("a.evaltools-download", has_text=suffix).first
            with page.expect_download(timeout=30_000) as info:
                link.click()
            d = info.value
            target = downloads / d.suggested_filename
            d.save_as(target)
            got[suffix] = target
        assert seen.external == [], seen.external

    # the same screens on a phone (390 px): stacked controls, scrolled tables
    with offline_page(chromium, width=390, height=844) as (phone, seen_phone):
        phone.goto(url, timeout=120_000)
        _wait_text(phone, "楼栋评比评估")
        _shot(phone, test_output / "app_start_390.png")
        phone.locator(".widget-dropdown", has_text="数据文件夹").locator("select").select_option(
            label=f"{workspace.name}/2021年第三季度")
        phone.get_by_role("button", name="打开").click()
        _wait_text(phone, "没有发现问题")
        phone.get_by_role("button", name="4 榜单").click()
        phone.locator(".widget-output", has_text="较细则默认").first.wait_for(timeout=60_000)
        phone.wait_for_timeout(1500)
        _shot(phone, test_output / "app_board_390.png")
        width = phone.evaluate("document.documentElement.scrollWidth")
        slider = phone.locator(".widget-slider", has_text="群众满意度").first.bounding_box()
        # the explorer's dropdowns (计分方法 …) end inside the screen, not past its right edge
        right = phone.evaluate(
            "Math.max(...[...document.querySelectorAll('.widget-dropdown select')]"
            ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().right))")
        screen = phone.evaluate("document.documentElement.clientWidth")
        assert seen_phone.external == [], seen_phone.external
    assert right <= screen, f"a dropdown runs past the phone's screen: {right} > {screen}px"
    assert width <= 400, f"the page scrolls sideways on a phone: {width}px"
    assert slider is not None and slider["width"] >= 300, slider

    # the downloaded 公示 as people read it: on a screen, on a phone (cards, nothing wider than
    # the screen) and printed (the A4 PDF's pages as pictures); it loads nothing from anywhere
    notice = got["榜单公示.html"].read_text(encoding="utf-8")
    for width, height in ((1280, 900), (390, 844)):
        with offline_page(chromium, width=width, height=height) as (view, seen_view):
            view.set_content(notice)
            view.screenshot(path=test_output / f"app_notice_{width}.png", full_page=True)
            wide = view.evaluate("document.documentElement.scrollWidth")
        assert seen_view.external == [], seen_view.external
        assert wide <= width, f"the downloaded notice scrolls sideways at {width}px: {wide}px"
    for old in test_output.glob("app_notice_pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(got["榜单公示.pdf"]),
                    str(test_output / "app_notice_pdf")], check=True)
    assert sorted(test_output.glob("app_notice_pdf-*.png"))

    folder = workspace / "2021年第三季度"
    published = sorted((folder / "发布").iterdir())
    assert len(published) == 1 and not published[0].name.startswith("草稿")
    for suffix, path in got.items():
        assert path.name == f"{published[0].name}_{suffix}"  # named with the period and time
    # the downloads equal `evaltools publish` on the same folder and rubric
    cli = tmp_path / "cli"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "evaltools.cli", "publish", str(folder),
                           "--out", str(cli)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for suffix, path in got.items():
        assert path.read_bytes() == (cli / suffix).read_bytes(), suffix
    assert verify_set(published[0]) == []  # one set, one SHA256SUMS of every file
    rubric = (folder / "rubric.toml").read_text(encoding="utf-8")
    assert "已确认" in rubric and "待确认" not in rubric  # the form answered the decisions
    assert "# 四舍五入" in rubric  # the draft's comments kept through the save
