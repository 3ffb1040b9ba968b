"""System components: Chinese glyphs in exported charts, and offline pages in a real browser."""

from __future__ import annotations

import altair as alt
import polars as pl

from evaltools import charts
from tests.browser import offline_page


def _title_chart(title: str) -> alt.Chart:
    data = pl.DataFrame({"指标": ["环境卫生", "楼道整洁"], "得分": [18.5, 12.0]})
    return alt.Chart(data, title=title).mark_bar().encode(x="得分:Q", y="指标:N")


def test_png_draws_chinese_glyphs_not_boxes(cjk_font, test_output):
    # Missing glyphs all render as the same empty box, so two different Chinese titles would give
    # identical images; with the CJK font installed they must differ.
    a = charts.to_png(_title_chart("楼栋评比总榜"))
    b = charts.to_png(_title_chart("群众满意度测评"))
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert a != b
    (test_output / "system_cjk_chart.png").write_bytes(a)


def test_chart_html_renders_offline_in_chromium(chromium, tmp_path, test_output):
    chart = _title_chart("楼栋评比总榜")
    charts.use_theme()
    page_file = tmp_path / "chart.html"
    # vega bundled by vl-convert (inline=True): no CDN; SVG renderer so the text is in the DOM
    chart.save(page_file, inline=True, embed_options={"renderer": "svg", "actions": False})
    with offline_page(chromium) as (page, seen):
        page.goto(page_file.as_uri())
        title = page.get_by_text("楼栋评比总榜")
        title.wait_for(state="visible", timeout=15_000)
        assert page.locator("svg rect, svg path").count() > 0
        page.screenshot(path=test_output / "system_chart_offline.png")
    assert seen.external == []
