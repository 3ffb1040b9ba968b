"""The offline HTML 公示 page: :func:`render_html`, :func:`write_html`, :func:`stable_svg_ids`.

One file with inline CSS and SVG, a Content Security Policy that forbids every request, and an A4
print stylesheet; templates come from ``evaltools/templates``.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from evaltools import labels
from evaltools.publish.audit import audit_table, dataset_inputs, generated_at, time_text
from evaltools.publish.privacy import html_escape, mask_personal, publishable
from evaltools.publish.tables import (
    SATISFIED_SHARED,
    comments_table,
    criterion_ids_table,
    default_sections,
    group_names,
    group_points,
    method_lines,
    notes_zh,
    rounded,
    satisfaction_table,
    score_text_expr,
    weights_table,
    with_intervals,
)
from evaltools.writing import atomic_write_bytes, check_output_path

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals

__all__ = ["render_html", "stable_svg_ids", "write_html"]


# =============================================================================================
# HTML
# =============================================================================================


def _template(name: str) -> str:
    return resources.files("evaltools").joinpath("templates", name).read_text(encoding="utf-8")


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


#: the units' places a board shows, when the units table gives them
_PLACES = (("street", "街道"), ("community", "社区"))


def _has_values(frame: pl.DataFrame, col: str) -> bool:
    return col in frame.columns and frame[col].null_count() < frame.height


def round_text(lb: Leaderboard) -> str:
    """第3轮 / 各轮平均; for a one-off competition (the files name no round) the rubric's period
    (2021年第三季度), never an invented 第1轮 (:meth:`Leaderboard.round_text`)."""
    return lb.round_text()


def _cells(frame: pl.DataFrame, specs: list[tuple[str, pl.Expr]]) -> pl.Series:
    """Each row as ``<td…>…</td>…`` (vectorised): specs are (class, escaped-HTML expression)."""
    parts = []
    for cls, expr in specs:
        attr = f' class="{cls}"' if cls else ""
        parts.append(pl.concat_str(pl.lit(f"<td{attr}>"), expr.fill_null(""), pl.lit("</td>")))
    return frame.select(pl.concat_str(parts).alias("cells"))["cells"]


def is_rate(name: str) -> bool:
    """Columns shown as percentages: 满意率, 得票率, 立即办理占比 … (values 0–1)."""
    return name.endswith(("率", "占比", "率上限", "率下限", "rate", "share"))


def _generic_table(frame: pl.DataFrame, *, table_id: str | None = None,
                   caption: str | None = None, digits: int = 2) -> str:
    """Any (masked) frame as an escaped HTML table; numbers right-aligned, floats 四舍五入,
    rates (:func:`is_rate`) as percentages with one decimal; ``caption`` as a line above it."""
    specs = []
    for name, dtype in frame.schema.items():
        if dtype.is_float() and is_rate(name):
            specs.append(("num", score_text_expr(pl.col(name) * 100, 1) + pl.lit("%")))
        elif dtype.is_float():
            specs.append(("num", score_text_expr(name, digits)))
        elif dtype.is_numeric():
            specs.append(("num", pl.col(name).cast(pl.String)))
        elif dtype == pl.Boolean:
            specs.append(("", pl.when(pl.col(name)).then(pl.lit("是")).otherwise(pl.lit("否"))))
        else:
            specs.append(("", html_escape(pl.col(name).cast(pl.String))))
    num = ' class="num"'
    head = "".join(f"<th{num if d.is_numeric() else ''}>{_e(n)}</th>"
                   for n, d in frame.schema.items())
    body = (_cells(frame, specs).to_frame()
            .select(pl.format("<tr>{}</tr>", "cells").str.join("\n")).item()
            if frame.height else "")
    tid = f' id="{_e(table_id)}"' if table_id else ""
    # the caption above the table, not in it: a wide table scrolls sideways on a phone, and a
    # <caption> would wrap to the table's width and scroll away with it
    cap = f'<p class="table-caption">{_e(caption)}</p>\n' if caption else ""
    return (f'{cap}<div class="table-wrap"><table{tid}><thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table></div>")


def _leaderboard_html(lb: Leaderboard, extra_notes: list[str] | None = None, *,
                      details: bool = True) -> str:
    """The leaderboard table: one row per unit with an anchor (``id="<unit_id>"``), followed by
    a row holding its ``<details>`` (the unit's explain() in Chinese; left out when ``details``
    is false: print hides them); every cell carries its column name (``data-label``) for the
    phone layout, where each unit becomes a card."""
    from evaltools.publish.notice import detail_html, maximum_total, star_names

    r = lb.rubric
    d = r.digits
    t = (lb.table.join(group_points(lb), on="unit_id", how="left", suffix="_group")
         .join(star_names(lb), on="unit_id", how="left"))
    if details:
        t = t.join(detail_html(lb), on="unit_id", how="left")
    groups = group_names(r)
    cols = set(t.columns)
    on_points = labels.scale_is_points(r)
    name = pl.coalesce(pl.col("name"), pl.col("unit_id"))
    specs: list[tuple[str, str, pl.Expr]] = [
        ("rank", "排名", html_escape("rank_label")),
        ("unit", "单位", pl.concat_str(html_escape(name), pl.lit('<span class="unit-id">'),
                                       html_escape("unit_id"), pl.lit("</span>"))),
        *(("place", label, html_escape(col)) for col, label in _PLACES
          if _has_values(t, col)),  # a competition without streets shows no empty column
        ("num total", "总分", score_text_expr("total", d)),
    ]
    if t["grade"].null_count() < t.height:
        specs.append(("grade", "等级", html_escape(pl.col("grade").fill_null(labels.NONE_TEXT))))
    if r.stars:
        n = pl.col("stars").fill_null(0).clip(0, 5)
        specs.append(("stars", "星级", pl.when(n > 0).then(pl.concat_str(
            pl.lit('<span class="glyphs">'), pl.lit("★★★★★").str.slice(0, n),
            pl.lit('</span><span class="star-names">'), html_escape("star_names"),
            pl.lit("</span>"))).otherwise(pl.lit(labels.NONE_TEXT))))
    if groups:
        full = {g: sum(float(c.max_points or 0.0) for c in r.criteria if c.group == g)
                for g in groups}
        for g in groups:
            label = f"{g}（{labels.points_text(full[g], d)}分）" if on_points else g
            specs.append(("num", label, score_text_expr(rounded(pl.col(g), r), d)))
    else:
        for c in r.criteria:
            specs.append(("num", c.name, score_text_expr(c.id, d)))
    if {"rank_lower", "rank_upper"} <= cols:
        specs.append(("num", "名次区间", pl.format("{}–{}", "rank_lower", "rank_upper")))
    if lb.previous_round is not None:
        mv = pl.col("movement").fill_null(labels.NONE_TEXT)
        specs.append(("move", f"较第{lb.previous_round}轮", pl.when(mv.str.starts_with("▲"))
                      .then(pl.format('<span class="up">{}</span>', html_escape(mv)))
                      .when(mv.str.starts_with("▼"))
                      .then(pl.format('<span class="down">{}</span>', html_escape(mv)))
                      .otherwise(html_escape(mv))))
    parts = []
    for cls, label, expr in specs:
        attr = f' class="{cls}"' if cls else ""
        parts.append(pl.concat_str(pl.lit(f'<td{attr} data-label="{_e(label)}">'),
                                   expr.fill_null(""), pl.lit("</td>")))
    cells = t.select(pl.concat_str(parts).alias("cells"))["cells"]
    row_class = (pl.when(pl.col("disqualified")).then(pl.lit("unit-row disqualified"))
                 .when(pl.col("rank") == 1).then(pl.lit("unit-row top1"))
                 .otherwise(pl.lit("unit-row")))
    row = pl.format('<tr id="{}" class="{}" data-unit-id="{}">{}</tr>', html_escape("unit_id"),
                    row_class, html_escape("unit_id"), "cells")
    if details:
        row = pl.format('{}\n<tr class="detail-row"><td colspan="{}">{}</td></tr>', row,
                        pl.lit(len(specs)), pl.col("detail").fill_null(""))
    rows = t.with_columns(cells=cells).select(row.str.join("\n")).item() if t.height else ""
    header = "".join(f'<th class="{c}">{_e(h)}</th>' if c else f"<th>{_e(h)}</th>"
                     for c, h, _ in specs)
    unit_word = labels.unit_word(r.unit)
    full_marks, _ = maximum_total(r)
    caption = (f"共 {t.height} 个{unit_word}；总分满分 {labels.points_text(full_marks)} 分"
               if on_points else
               f"共 {t.height} 个{unit_word}；{labels.method_zh(r.method)}综合得分（0–100，越高越好）")
    if groups:
        caption += "；分项为各一级指标得分"
    legend = ""
    if r.stars:
        legend = ('<p class="legend">星级说明：每达到一项标准得一颗星（最多五星），未获星显示为“—”。'
                  + "；".join(_e(labels.star_rule_zh(s, r)) for s in r.stars) + "。</p>")
    notes = "".join(f'<p class="legend">{_e(n)}</p>' for n in (extra_notes or []))
    hint = '<span class="screen-only">；点击“计分明细”查看各项得分</span>' if details else ""
    return (f'<table id="leaderboard-table"><caption>{_e(caption)}{hint}</caption>'
            f"<thead><tr>{header}</tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
            + legend + notes)


def _summary_html(lb: Any, n: int) -> str:
    """Ranks 1..n on one page for notice boards (printed on a page of its own)."""
    from evaltools.publish.notice import notice_title

    r = lb.rubric
    top = lb.table.filter(pl.col("rank") <= n)
    if top.height == 0:
        return ""
    stars = pl.col("stars").fill_null(0).clip(0, 5)
    frame = top.select(
        pl.col("rank_label").alias("名次"), pl.coalesce("name", "unit_id").alias("单位"),
        *(pl.col(col).alias(label) for col, label in _PLACES if _has_values(top, col)),
        pl.col("total").alias("总分"),
        *([pl.when(stars > 0).then(pl.lit("★★★★★").str.slice(0, stars))
           .otherwise(pl.lit(labels.NONE_TEXT)).alias("星级")] if r.stars else []))
    return (f'<section id="summary"><h2>{_e(notice_title(lb))}（前{n}名摘要）</h2>'
            + _generic_table(frame, digits=r.digits)
            + "<p>完整名单、计分方法和异议受理方式见公示全文。</p></section>")


def _kv_html(pairs: list[tuple[str, str]], *, css: str = "kv", code: bool = False) -> str:
    def val(v: str) -> str:
        return f"<code>{_e(v)}</code>" if code and len(v) == 64 else _e(v)

    return f'<dl class="{css}">' + "".join(
        f"<dt>{_e(k)}</dt><dd>{val(v)}</dd>" for k, v in pairs) + "</dl>"


def _charts_html(lb: Leaderboard, top: int | None) -> str:
    """The page's two charts as inline SVG, drawn by :mod:`evaltools.publish.figures` (no Vega)."""
    from evaltools.publish.figures import heatmap_figure, leaderboard_figure, published_bars

    bars = published_bars(lb) if top is None else leaderboard_figure(lb, top=top)
    figures = [("总分排名", bars),
               ("各指标得分率", heatmap_figure(lb, top=top))]
    parts = [f'<figure class="chart" id="chart-{i + 1}" aria-label="{_e(title)}">'
             f"{stable_svg_ids(figure.svg(), f'chart-{i + 1}')}</figure>"
             for i, (title, figure) in enumerate(figures)]
    return '<section id="charts">\n<h2>附件：图表</h2>\n' + "\n".join(parts) + "\n</section>"


def _strip_xml_decl(svg: str) -> str:
    svg = svg.strip()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    return svg


_SVG_ID = re.compile(r'id="([^"]+)"')  # preceded by no word character (see _word_before)


def _word_before(text: str, at: int) -> bool:
    """Whether a word character (``\\w``) precedes ``at``: where ``\\bid="`` would not match.
    The patterns start with a literal instead of ``\\b`` so that the regex engine can look for
    it fast (≈ 25× on a heat map's SVG; issue 17), the boundary checked here."""
    return at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")


def stable_svg_ids(svg: str, prefix: str = "c") -> str:
    """Rename the ids inside an SVG to ``<prefix>-1``, ``<prefix>-2`` … in order of appearance.

    vl-convert numbers gradients and clip paths with a counter that keeps growing within a
    process (``gradient_0``, then ``gradient_1`` …), so the same chart would give different bytes
    depending on what was drawn before; and two inline SVGs on one page must not share ids.

    Examples
    --------
    >>> stable_svg_ids('<svg><linearGradient id="gradient_7"/><path fill="url(#gradient_7)"/></svg>',
    ...                "chart-1")
    '<svg><linearGradient id="chart-1-1"/><path fill="url(#chart-1-1)"/></svg>'
    """
    found: list[str] = []
    m = _SVG_ID.search(svg)
    while m is not None:  # as re.findall(r'\bid="([^"]+)"', svg)
        if _word_before(svg, m.start()):
            m = _SVG_ID.search(svg, m.start() + 1)
        else:
            found.append(m.group(1))
            m = _SVG_ID.search(svg, m.end())
    ids = list(dict.fromkeys(found))
    if not ids:
        return svg
    new = {old: f"{prefix}-{k + 1}" for k, old in enumerate(ids)}
    pattern = re.compile(r'(id="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=[")])')
    parts, done = [], 0
    m = pattern.search(svg)
    while m is not None:  # as re.sub with (\bid="|url\(#|href="#) in front
        if m.group(1) == 'id="' and _word_before(svg, m.start()):
            m = pattern.search(svg, m.start() + 1)
            continue
        parts += [svg[done:m.start()], m.group(1), new[m.group(2)]]
        done = m.end()
        m = pattern.search(svg, done)
    return "".join(parts) + svg[done:]


def render_html(lb: Leaderboard, *, title: str | None = None, charts: bool = True,
                top: int | None = None, generated: datetime | None = None,
                notice_start: date | None = None,
                sections: Mapping[str, pl.DataFrame] | None = None,
                intervals: RankIntervals | pl.DataFrame | None = None, supersedes: Any = None,
                media: Literal["all", "print"] = "all") -> str:
    """The 公示 page as one HTML string (see :func:`write_html`).

    ``media="print"`` leaves out what the print stylesheet hides (``display: none``): the
    per-unit 计分明细 rows, the index, the facts line and the screen-only hints. The printed
    page is the same (the PDF's bytes are); WeasyPrint has a quarter less markup to parse and
    style (:func:`evaltools.publish.pdf.render_pdf` uses it).
    """
    if media not in ("all", "print"):
        raise ValueError(f"media must be 'all' or 'print', not {media!r}")
    screen = media == "all"
    from evaltools.publish import notice as nt
    from evaltools.publish.audit import rubric_changed
    from evaltools.version import __version__

    lb = publishable(with_intervals(lb, intervals))  # phones, ID numbers, bidi: issue 18
    guard_notes = nt.check_publishable(lb)
    sections = default_sections(lb) if sections is None else sections
    r = lb.rubric
    generated = generated or generated_at()
    draft = rubric_changed(lb)
    title = title or nt.notice_title(lb)
    docnum = (f'<p id="document-number">{_e(r.notice.document_number)}</p>'
              if r.notice.document_number and not draft else "")
    facts = [("主办单位", r.organiser), ("评比期间", r.period), ("本次公示", nt.round_label(lb)),
             ("发布时间", time_text(generated))]
    facts_html = ("\n".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts if v)
                  if screen else "")
    banner = ('<p id="draft-banner">草稿：本页的权重、方法或并列规则已在程序中调整，尚未保存为评分细则，'
              "仅供讨论，不是公示，不得张贴。</p>" if draft else "")

    method = _kv_html(method_lines(lb))
    method += "\n<h3>指标与权重</h3>\n" + _generic_table(weights_table(lb), table_id="weights",
                                                       digits=4 if r.method != "points" else 2)

    extra = []
    if supersedes is not None:  # a correction comes first after the leaderboard
        extra.append('<section id="corrections">\n<h2>更正说明</h2>\n'
                     f"<p>{_e(supersedes.summary())}</p>\n"
                     + _generic_table(supersedes.table) + "\n</section>")
    sat = satisfaction_table(lb)
    if sat is not None:
        rate = (f"满意率 = {SATISFIED_SHARED} / 有效评价数，一位居民答多题时按其中"
                f"“{sat['满意口径'][0]}”的占比计（3 题中 2 题满意计 2/3 人）"
                if SATISFIED_SHARED in sat.columns
                else f"满意率 = {sat['满意口径'][0]} 的评价 / 有效评价数")
        extra.append('<section id="satisfaction">\n<h2>群众满意度</h2>\n'
                     + _generic_table(sat.drop("满意口径"), digits=r.digits,
                                      caption=f"{rate}；上下限为满意率的 95% 置信区间（威尔逊法），"
                                      "样本少时区间宽")
                     + "\n</section>")
    comments = comments_table(lb)
    if comments is not None:
        extra.append('<section id="comments">\n<h2>群众留言</h2>\n'
                     + _generic_table(comments) + "\n</section>")
    for i, (name, frame) in enumerate(sections.items()):
        extra.append(f'<section id="section-{i + 1}">\n<h2>{_e(name)}</h2>\n'
                     + _generic_table(mask_personal(frame), digits=r.digits) + "\n</section>")

    notes = notes_zh(lb)["说明"].to_list()
    notes_html = ('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
                  if notes else "<p>无</p>")
    start = notice_start or r.notice.notice_start or generated.date()
    if draft:
        notice_html = ('<p class="notice-box">本页为草稿，不设公示期。正式公示请先保存评分细则，'
                       "再用保存的评分细则重新发布。</p>")
    else:
        lines = [nt.period_text(lb, generated, notice_start), *nt.objection_text(lb)]
        notice_html = ('<div class="notice-box">' + "".join(
            f"<p>{_e(x)}</p>" for x in lines if x) + "</div>"
            + nt.signature_html(lb, start))
        if r.notice.url:  # on paper, a QR code leads to this page (and its per-unit details)
            from evaltools.publish.qr import qr_svg

            notice_html += ('<figure id="qr" class="print-only qr">' + qr_svg(r.notice.url)
                            + "<figcaption>扫码查看公示网页及各单位计分明细</figcaption></figure>")
    audit = audit_table(lb, generated=generated,
                        previous=supersedes.chain if supersedes is not None else ())
    human = [("评分细则", r.name), ("轮次", nt.round_label(lb) or "—"),
             ("计分方法", labels.method_zh(r.method)), ("生成时间", time_text(generated))]
    if draft:
        human.append(("评分细则修改", "权重、方法或并列规则已在程序中调整，与保存的评分细则不同"))
    appendix = (_kv_html(list(audit.iter_rows()), code=True)
                + _generic_table(criterion_ids_table(r), table_id="criterion-ids"))
    audit_html = (_kv_html(human) + '<section id="appendix"><h3>技术附录（供核查，含程序版本、'
                  "文件校验码和指标编号）</h3>" + appendix + "</section>")
    summary = _summary_html(lb, r.notice.summary_top) if r.notice.summary_top else ""

    page = string.Template(_template("leaderboard.html"))
    return page.substitute(
        version=_e(__version__), title=_e(title), css=_template("style.css"),
        body_class="draft" if draft else "notice", banner=banner, docnum=docnum,
        facts=facts_html,
        opening=_e(nt.opening_text(lb)), index=nt.index_html(lb) if screen else "",
        table=_leaderboard_html(lb, guard_notes, details=screen),
        charts=_charts_html(lb, top) if charts else "",
        method=method, sections="\n".join(extra), notes=notes_html, notice=notice_html,
        summary=summary, audit=audit_html, created=generated.isoformat())


def write_html(lb: Leaderboard, path: str | Path, *, title: str | None = None, charts: bool = True,
               top: int | None = None, generated: datetime | None = None,
               notice_start: date | None = None,
               sections: Mapping[str, pl.DataFrame] | None = None,
               intervals: RankIntervals | pl.DataFrame | None = None,
               supersedes: Any = None) -> Path:
    """Write the 公示 page: one self-contained, offline HTML file that prints on A4.

    Contents: title, organiser, period and round; the leaderboard (rank with 并列, unit,
    street/community, total, grade, stars, points per 一级指标, rank interval when the table has
    ``rank_lower``/``rank_upper`` or ``intervals`` is given, change since the previous round); charts as inline SVG; how it was
    computed (method, weights, judge aggregation, 满意率 definition, tie and rounding rules,
    deductions, bonuses, vetoes); satisfaction per unit; notes; the public-notice period; an audit
    footer (evaltools version, rubric SHA-256, SHA-256 of each data file, generation time).

    Parameters
    ----------
    lb : the Leaderboard.
    path : the file to write (parent folders are created).
    title : page title; default "关于<rubric name><round>评比结果的公示" (``[publish] title``).
    charts : include the inline SVG charts.
    top : charts show ranks 1..top only (the table always lists every unit).
    generated : generation time; default :func:`generated_at` (``SOURCE_DATE_EPOCH``).
    notice_start : first day of the public notice; default the generation date.
    sections : more tables to publish, by Chinese heading; personal columns are masked with
        :func:`mask_personal`. None = :func:`default_sections` (民情速递站 and 晒最美 when the
        dataset has tickets or votes); ``{}`` = none.
    intervals : rank intervals (:func:`evaltools.robustness.rank_intervals`) to show as 名次区间.
    supersedes : a :class:`~evaltools.publish.corrections.Supersession`: the page corrects an
        earlier one — a 更正说明 section first, and the audit chains the two publications.

    Returns
    -------
    Path of the file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = write_html(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "榜单公示.html",
    ...                  charts=False)
    >>> text = out.read_text(encoding="utf-8")
    >>> "<h1 id=\\"title\\">关于楼栋评比结果的公示</h1>" in text, "http://" in text.split("<body>")[1]
    (True, False)
    """
    text = render_html(lb, title=title, charts=charts, top=top, generated=generated,
                       notice_start=notice_start, sections=sections, intervals=intervals,
                       supersedes=supersedes)
    path = check_output_path(path, inputs=dataset_inputs(lb))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
