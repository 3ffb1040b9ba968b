"""The published page in headless Chromium (offline, from disk) and the PNG outputs with CJK
glyphs. Screenshots and PNGs go to test-output/ for a person to look at."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import altair as alt
import pytest

from evaltools import evaluate, publish, read_dataset
from evaltools.charts import to_png
from tests.browser import offline_page

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    lb = evaluate(read_dataset(SAMPLE))
    out = tmp_path_factory.mktemp("published")
    return lb, publish.publish(lb, out, top=10)


@pytest.mark.browser
def test_page_opens_offline_and_shows_title_and_winner(published, chromium, test_output):
    lb, files = published
    title = f"关于{lb.rubric.name}第{lb.round}轮结果的公示"  # issue 16: the notice's title
    first = lb.table.row(0, named=True)
    with offline_page(chromium, width=1200, height=1000) as (page, seen):
        page.goto(files["html"].resolve().as_uri())
        heading = page.get_by_role("heading", level=1)
        heading.wait_for(state="visible", timeout=30_000)
        assert heading.inner_text() == title
        row = page.locator(f'tr[data-unit-id="{first["unit_id"]}"]')
        assert row.is_visible()
        assert first["name"] in row.inner_text() and "第1名" in row.inner_text()
        assert page.locator("#charts svg").count() == 2
        assert page.locator("#audit").is_visible()
        # the CJK font stack resolves to an installed font (not a fallback box font)
        family = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert family.startswith('"Noto Sans CJK SC"')
        page.screenshot(path=test_output / "publish_page.png")
        page.screenshot(path=test_output / "publish_page_full.png", full_page=True)
        # A4 print: the print stylesheet applies and the PDF has A4 pages
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert seen.external == []
    (test_output / "publish_page.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2          # several A4 pages
    assert re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.?\d*\s+84[12]\.?\d*", pdf)  # A4 in points


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_outputs(published, test_output):
    _, files = published
    for kind in ("png", "poster"):
        data = files[kind].read_bytes()
        w, h = _png_size(data)
        assert w > 600 and h > 200
        shutil.copy(files[kind], test_output / f"publish_{kind}.png")


def test_png_draws_chinese_glyphs(cjk_font):
    """Two different Chinese titles give different pixels: with a missing font both would be
    drawn as the same row of boxes (tofu)."""
    def titled(text: str) -> bytes:
        chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q") \
            .properties(title=text, width=100, height=40)
        return to_png(chart, scale=1)

    assert titled("环境卫生评比") != titled("楼道整洁公示")
    assert titled("环境卫生评比") == titled("环境卫生评比")
