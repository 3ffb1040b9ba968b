"""The Word version of the 公示 (榜单公示.docx) an office edits, prints, signs and stamps:
:func:`write_docx`.

A4 portrait with the margins of official documents (GB/T 9704: 37 / 35 / 28 / 26 mm), Chinese set
in "Noto Sans CJK SC" with 宋体 as Word's fallback (``w:eastAsia`` and the font table's
``w:altName``), the title 关于…评比结果的公示, an opening paragraph, the table (名次, 名称, 总分,
等级, 星级; its header repeats on every page), the method in plain Chinese, the 更正说明 when the
notice corrects an earlier one, the 公示期 and where to object, the 落款 bottom right with a
signature and stamp area, page numbers, and a QR code to the page when ``[publish] url`` is set.
The bytes are reproducible: document properties and zip entry dates come from the generation
time (``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from evaltools import labels
from evaltools.publish import notice as nt
from evaltools.publish.audit import generated_at
from evaltools.publish.tables import method_lines, score_text_expr

__all__ = ["CJK_FALLBACK", "CJK_FONT", "write_docx"]

#: the Chinese font of the document (``w:eastAsia``); Word falls back to :data:`CJK_FALLBACK`
CJK_FONT = "Noto Sans CJK SC"
#: what Word uses where the Noto font is not installed (every Chinese Windows has 宋体)
CJK_FALLBACK = "宋体"
#: the font of Latin letters and digits
LATIN_FONT = "Times New Roman"
#: the columns of the notice's table
TABLE_COLUMNS = ("名次", "名称", "总分", "等级", "星级")


# =============================================================================================
# the notice's table (the words come from evaltools.publish.notice, as on the page)
# =============================================================================================


def notice_rows(lb: Any) -> pl.DataFrame:
    """The notice's table: 名次 (第1名 / 并列第2名 / 取消资格), 名称, 总分 (四舍五入), 等级 (left
    out when no unit has one), 星级 (★★★ and the stars' names, as on the page; — for none), all
    text, in rank order.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> notice_rows(two_buildings()).rows()
    [('第1名', 'A', '94.00', '优秀', '—'), ('第2名', 'B', '80.00', '合格', '—')]
    """
    t = lb.table.join(nt.star_names(lb), on="unit_id", how="left")
    d = lb.rubric.digits
    stars = labels.stars_expr("stars") if "stars" in t.columns else pl.lit(labels.NONE_TEXT)
    named = pl.col("star_names").fill_null("")
    cols = [
        pl.col("rank_label").fill_null(labels.NONE_TEXT).alias("名次"),
        pl.coalesce("name", "unit_id").alias("名称"),
        score_text_expr("total", d).fill_null(labels.NONE_TEXT).alias("总分"),
    ]
    if "grade" in t.columns and t["grade"].null_count() < t.height:
        cols.append(pl.col("grade").fill_null(labels.NONE_TEXT).alias("等级"))
    cols.append(pl.when(named != "").then(pl.format("{} {}", stars, named)).otherwise(stars)
                .alias("星级"))
    return t.select(cols)


def _issuer(r: Any) -> str:
    return r.notice.issuer or r.organiser or ""


# =============================================================================================
# docx building blocks (python-docx and a little WordprocessingML)
# =============================================================================================


def _set_fonts(run_or_style: Any, *, east_asia: str, size: float | None = None,
               bold: bool | None = None) -> None:
    """Latin and Chinese fonts of a run or style (``w:rFonts`` ascii/hAnsi and eastAsia)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _font_table(doc: Any, east_asia: str, fallback: str) -> None:
    """Declare the Chinese font in word/fontTable.xml with ``w:altName`` = the fallback (and
    the GB2312 character set), so Word substitutes 宋体 where Noto is not installed."""
    from lxml import etree

    part = next(p for p in doc.part.package.iter_parts()
                if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    w = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def q(tag: str) -> str:
        return f"{{{w}}}{tag}"

    for name, alt in ((east_asia, fallback), (fallback, "SimSun")):
        if any(f.get(q("name")) == name for f in root.findall(q("font"))):
            continue
        font = etree.SubElement(root, q("font"), {q("name"): name})
        etree.SubElement(font, q("altName"), {q("val"): alt})
        etree.SubElement(font, q("charset"), {q("val"): "86"})
        etree.SubElement(font, q("family"), {q("val"): "auto"})
        etree.SubElement(font, q("pitch"), {q("val"): "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _paragraph(doc: Any, text: str = "", *, align: str | None = None, size: float = 14,
               bold: bool = False, indent: bool = False, east_asia: str = CJK_FONT,
               space_after: float = 4) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if align:
        p.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                       "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)          # 首行缩进两字
    if text:
        _set_fonts(p.add_run(text), east_asia=east_asia, size=size, bold=bold)
    return p


def _heading(doc: Any, text: str, east_asia: str) -> Any:
    from docx.shared import Pt

    p = _paragraph(doc, text, size=14, bold=True, east_asia=east_asia, space_after=2)
    p.paragraph_format.space_before = Pt(8)
    p.paragraph_format.keep_with_next = True           # no heading alone at the foot of a page
    return p


def _table(doc: Any, frame: pl.DataFrame, *, east_asia: str, size: float = 11,
           widths_cm: list[float] | None = None) -> Any:
    """A bordered table, the header row repeated on every page, rows never split."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=frame.width)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = [frame.columns, *frame.rows()]
    for i, values in enumerate(rows):
        row = table.rows[0] if i == 0 else table.add_row()
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(tr_pr.makeelement(qn("w:cantSplit"), {}))
        if i == 0:
            tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))
        cells = row.cells  # python-docx rebuilds the whole list on every access
        for j, value in enumerate(values):
            cell = cells[j]
            if widths_cm:
                cell.width = Cm(widths_cm[j])
            p = cell.paragraphs[0]
            _set_fonts(p.add_run("" if value is None else str(value)), east_asia=east_asia,
                       size=size, bold=i == 0)
    return table


def _page_numbers(section: Any, east_asia: str) -> None:
    """Footer "第 x 页 共 y 页" (PAGE and NUMPAGES fields), centred."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def text(t: str) -> None:
        _set_fonts(p.add_run(t), east_asia=east_asia, size=10.5)

    def field(code: str) -> None:
        run = p.add_run()
        _set_fonts(run, east_asia=east_asia, size=10.5)
        simple = run._r.makeelement(qn("w:fldSimple"), {qn("w:instr"): f" {code} "})
        inner = simple.makeelement(qn("w:r"), {})
        t = inner.makeelement(qn("w:t"), {})
        t.text = "1"
        inner.append(t)
        simple.append(inner)
        p._p.append(simple)

    text("第 ")
    field("PAGE")
    text(" 页 共 ")
    field("NUMPAGES")
    text(" 页")


def _fixed_zip(data: bytes, when: datetime) -> bytes:
    """The same archive with every entry dated ``when`` (python-docx stamps the current time),
    so the bytes depend only on the content."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


# =============================================================================================
# the document
# =============================================================================================


def write_docx(lb: Any, path: str | Path, *, generated: datetime | None = None,
               notice_start: date | None = None, supersedes: Any = None,
               url: str | None = None, font: str = CJK_FONT) -> Path:
    """Write the 公示 as an editable Word document (A4 portrait) for the office to sign and stamp.

    Parameters
    ----------
    lb : the Leaderboard.
    path : the .docx to write (parent folders are created).
    generated : generation time; default :func:`~evaltools.publish.generated_at`
        (``SOURCE_DATE_EPOCH``); also the 落款 date and the document and zip entry dates.
    notice_start : first day of the 公示期; default the rubric's ``[publish] notice_start``, else
        the generation date.
    supersedes : a :class:`~evaltools.publish.corrections.Supersession` (``publish
        --supersedes``): adds the 更正说明.
    url : the page's address for the QR code; default the rubric's ``[publish] url`` (none:
        no QR code).
    font : the Chinese font (``w:eastAsia``); Word falls back to 宋体 where it is missing.

    Examples
    --------
    >>> import tempfile, pathlib, docx
    >>> from evaltools.examples import two_buildings
    >>> out = write_docx(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "榜单公示.docx")
    >>> d = docx.Document(str(out))
    >>> d.paragraphs[0].text, [c.text for c in d.tables[0].rows[1].cells]
    ('关于楼栋评比结果的公示', ['第1名', 'A', '94.00', '优秀', '—'])
    """
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm

    generated = generated or generated_at()
    r = lb.rubric
    doc = docx.Document()
    _font_table(doc, font, CJK_FALLBACK)
    _set_fonts(doc.styles["Normal"], east_asia=font, size=14)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_numbers(section, font)

    number = r.notice.document_number
    _paragraph(doc, nt.notice_title(lb), align="center", size=22, bold=True, east_asia=font,
               space_after=6)
    if number and not nt.is_draft(lb):
        _paragraph(doc, number, align="center", size=14, east_asia=font, space_after=12)
    if nt.is_draft(lb):
        _paragraph(doc, "草稿：权重、方法或并列规则已在程序中调整，尚未保存为评分细则，仅供讨论，"
                   "不是公示，不得张贴。", bold=True, east_asia=font)
    _paragraph(doc, nt.opening_text(lb), indent=True, east_asia=font)
    for note in nt.check_publishable(lb):
        _paragraph(doc, note, indent=True, size=12, east_asia=font)
    if supersedes is not None:
        _paragraph(doc, supersedes.summary(), indent=True, bold=True, east_asia=font)

    k = iter("一二三四五六七八九")
    _heading(doc, f"{next(k)}、评比结果", font)
    rows = notice_rows(lb)
    _table(doc, rows, east_asia=font,
           widths_cm=[2.8, 5.2, 2.2, 1.8, 4.0] if rows.width == 5 else [2.8, 6.0, 2.4, 4.8])
    if r.stars:
        _paragraph(doc, "星级说明：每达到一项标准得一颗星（最多五星），未获星显示为“—”。"
                   + "；".join(labels.star_rule_zh(s, r) for s in r.stars) + "。", size=11,
                   east_asia=font)

    _heading(doc, f"{next(k)}、评分方法", font)
    for what, how in method_lines(lb):
        p = _paragraph(doc, indent=True, east_asia=font, space_after=2)
        _set_fonts(p.add_run(f"{what}："), east_asia=font, size=12, bold=True)
        _set_fonts(p.add_run(how), east_asia=font, size=12)

    if supersedes is not None:
        _heading(doc, f"{next(k)}、更正说明", font)
        if supersedes.table.height:
            _table(doc, supersedes.table, east_asia=font, size=10.5,
                   widths_cm=[2.0, 3.0, 1.6, 2.0, 2.0, 5.8])
        else:
            _paragraph(doc, "经复核，各单位的总分和名次与上一版公示相同。", indent=True,
                       east_asia=font)

    _heading(doc, f"{next(k)}、公示期与异议受理", font)
    period = nt.period_text(lb, generated, notice_start)
    if period:
        _paragraph(doc, period, indent=True, east_asia=font)
    for line in nt.objection_text(lb):
        _paragraph(doc, line, indent=True, east_asia=font, space_after=2)

    url = url if url is not None else r.notice.url
    if url:
        from evaltools.publish.qr import qr_png

        p = _paragraph(doc, east_asia=font, space_after=0)
        p.add_run().add_picture(io.BytesIO(qr_png(url, scale=8)), width=Cm(2.6))
        _paragraph(doc, f"扫码查看公示网页及各{labels.unit_word(r.unit)}得分明细：{url.strip()}",
                   size=10.5, east_asia=font)

    # 落款 bottom right, with room for a signature and the office's stamp
    _paragraph(doc, "", space_after=18)
    if r.notice.stamp:
        _paragraph(doc, "（盖章）", align="right", size=12, east_asia=font, space_after=30)
    start = notice_start or r.notice.notice_start or generated.date()
    _paragraph(doc, _issuer(r), align="right", east_asia=font, space_after=2)
    _paragraph(doc, nt.date_zh(start), align="right", east_asia=font, space_after=2)
    if r.notice.stamp:
        sig = _paragraph(doc, "负责人（签字）：＿＿＿＿＿＿　　经办人（签字）：＿＿＿＿＿＿",
                         align="right", size=12, east_asia=font)
        sig.paragraph_format.space_before = Cm(0.8)
        sig.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    cp = doc.core_properties
    when = generated.astimezone(UTC).replace(tzinfo=None)
    cp.title, cp.subject = nt.notice_title(lb), "榜单公示"
    cp.author = cp.last_modified_by = _issuer(r) or "evaltools"
    cp.comments, cp.keywords, cp.language = "由 evaltools 生成", "公示", "zh-CN"
    cp.created = cp.modified = when
    cp.revision = 1
    # the template's thumbnail shows an empty page in file browsers: drop it
    pkg = doc.part.package
    for rel_id, rel in list(pkg.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del pkg.rels[rel_id]

    buf = io.BytesIO()
    doc.save(buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buf.getvalue(), generated))
    return path
