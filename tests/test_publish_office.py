"""Publishing for offices (issue 16 items 7–9): the workbook's print setup and formats, the Word
公示, QR codes, the portrait poster, and corrections after objections (--supersedes).

Workbooks are read back with openpyxl (formats, fills, print setup) and polars (values)."""

from __future__ import annotations

import os
import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools import evaluate, publish, read_dataset
from evaltools.publish.excel import HEADER_ROW, MOVEMENT_FORMAT, TOP_FILLS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXED = datetime(2024, 5, 1, 9, 30, tzinfo=publish.CHINA_TZ)


@pytest.fixture(scope="module")
def sample_board():
    return evaluate(read_dataset(SAMPLE))


@pytest.fixture(scope="module")
def workbook(sample_board, tmp_path_factory):
    out = publish.write_excel(sample_board, tmp_path_factory.mktemp("x") / "榜单.xlsx",
                              generated=FIXED)
    return out, openpyxl.load_workbook(out)


def _col(ws, header: str) -> int:
    """1-based column of a header on row 3."""
    heads = [c.value for c in ws[HEADER_ROW + 1]]
    return heads.index(header) + 1


# ---------------------------------------------------------------------------------------------
# Excel

def test_every_sheet_has_title_rows_and_a4_landscape_print_setup(workbook, sample_board):
    _, wb = workbook
    r = sample_board.rubric
    assert len(wb.sheetnames) >= 8
    for ws in wb:
        assert ws["A1"].value == f"{r.name}第6轮评比结果", ws.title
        assert r.organiser in ws["A2"].value and r.period in ws["A2"].value
        assert "第6轮" in ws["A2"].value
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize == 9, ws.title                     # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths and max(widths) <= 41, (ws.title, max(widths))
        if ws.title not in ("方法与权重", "审计"):
            assert ws.print_title_rows == "$3:$3", ws.title               # header on every page
            assert ws.freeze_panes is not None and ws.freeze_panes[1:] == "4", ws.title


def test_board_sheet_values_and_formats(workbook, sample_board):
    _, wb = workbook
    ws = wb["总榜"]
    t = sample_board.table
    first = HEADER_ROW + 2                                   # 1-based row of the first unit
    heads = [c.value for c in ws[HEADER_ROW + 1]]
    assert heads[:4] == ["名次", "排名", "单位编号", "名称"]
    # 名次变化: numbers (previous − current) with the ▲/▼ number format
    mv = _col(ws, "名次变化")
    nums = [ws.cell(first + i, mv).value for i in range(t.height)]
    expected = (t["previous_rank"] - t["rank"]).to_list()
    assert nums == expected and all(isinstance(n, int) for n in nums)
    assert {ws.cell(first + i, mv).number_format for i in range(t.height)} == {MOVEMENT_FORMAT}
    # 星级 as ★ text, 取消资格 as 是/否, numbers stay numbers
    stars = [ws.cell(first + i, _col(ws, "星级")).value for i in range(t.height)]
    assert stars == ["★" * s if s else "—" for s in t["stars"].to_list()]
    assert {ws.cell(first + i, _col(ws, "取消资格")).value for i in range(t.height)} <= {"是", "否"}
    assert isinstance(ws.cell(first, _col(ws, "总分")).value, float)
    assert ws.cell(first, _col(ws, "总分")).number_format == "0.00"
    # no TRUE/FALSE anywhere in the workbook
    for sheet in wb:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, bool) for v in row), sheet.title


def test_top_three_highlighted_and_failures_red(workbook, sample_board):
    _, wb = workbook
    ws = wb["总榜"]
    t = sample_board.table
    first = HEADER_ROW + 2
    for i, rank in enumerate(t["rank"].to_list()):
        fill = ws.cell(first + i, 4).fill.fgColor.rgb
        if rank in TOP_FILLS:
            assert fill == "FF" + TOP_FILLS[rank][1:].upper(), (i, rank)
        else:
            assert fill in (None, "00000000"), (i, rank, fill)
    grade = _col(ws, "等级")
    failing = t.with_row_index("i").filter(pl.col("grade") == "不合格")["i"].to_list()
    assert failing                                        # the sample has two
    for i in range(t.height):
        c = ws.cell(first + i, grade)
        red = c.font.color is not None and c.font.color.rgb == "FFC00000"
        assert red == (i in failing), (i, c.value)


def test_round_is_a_number_and_method_sheet_wraps(workbook):
    _, wb = workbook
    audit = wb["审计"]
    rows = {r[0]: r[1] for r in audit.iter_rows(min_row=HEADER_ROW + 2, values_only=True) if r[0]}
    assert rows["轮次"] == 6
    method = wb["方法与权重"]
    assert method.column_dimensions["A"].width <= 20      # 项目 / 一级指标 / 序号: short
    long_cells = [c for row in method.iter_rows() for c in row
                  if isinstance(c.value, str) and len(c.value) > 30 and c.row > 2]
    assert long_cells and all(c.alignment.wrap_text for c in long_cells)


def test_new_units_show_as_text_in_movement(sample_board, tmp_path):
    lb = evaluate(sample_board.dataset, round=4)
    new = lb.table.with_row_index("i").filter(pl.col("movement") == "新上榜")["i"].to_list()
    assert new
    out = publish.write_excel(lb, tmp_path / "r4.xlsx", generated=FIXED, sections={})
    ws = openpyxl.load_workbook(out)["总榜"]
    mv = _col(ws, "名次变化")
    for i in new:
        assert ws.cell(HEADER_ROW + 2 + i, mv).value == "新上榜"


# ---------------------------------------------------------------------------------------------
# Word (.docx)

def _with_url(lb, url="https://jd.example.gov.cn/公示/榜单公示.html"):
    import dataclasses

    r = lb.rubric
    r = dataclasses.replace(r, notice=dataclasses.replace(r.notice, url=url))
    # the url is saved in the rubric file: the dataset's rubric too (else the page is a draft)
    return lb._replace(rubric=r, dataset=dataclasses.replace(lb.dataset, rubric=r))


@pytest.fixture(scope="module")
def word(sample_board, tmp_path_factory):
    import docx

    out = publish.write_docx(_with_url(sample_board), tmp_path_factory.mktemp("w") / "a.docx",
                             generated=FIXED)
    return out, docx.Document(str(out))


def test_docx_reads_back_as_a_notice(word, sample_board):
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    _, d = word
    r = sample_board.rubric
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == f"关于{r.name}第6轮结果的公示"
    assert texts[1] == r.notice.document_number
    assert texts[2].startswith(r.organiser) and "60 个楼栋参评" in texts[2]
    for heading in ("一、评比结果", "二、评分方法", "三、公示期与异议受理"):
        assert heading in texts
    body = "\n".join(texts)
    assert "公示期 7 天（2024年05月01日 至 2024年05月07日）。" in body
    for value in (r.notice.address, r.notice.phone, r.notice.email, r.notice.supervision_phone):
        assert value in body
    # 落款 bottom right, stamp and signature area after it
    issuer = next(p for p in d.paragraphs if p.text == r.organiser)
    when = next(p for p in d.paragraphs if p.text == "2024年5月1日")
    stamp = next(p for p in d.paragraphs if p.text == "（盖章）")
    assert {issuer.alignment, when.alignment, stamp.alignment} == {WD_ALIGN_PARAGRAPH.RIGHT}
    assert texts.index("（盖章）") < texts.index(r.organiser) < texts.index("2024年5月1日")
    assert "负责人（签字）" in texts[-1]
    # A4 portrait
    s = d.sections[0]
    assert s.orientation == WD_ORIENT.PORTRAIT
    assert abs(s.page_width - Mm(210)) < Mm(1) and abs(s.page_height - Mm(297)) < Mm(1)


def test_docx_table_is_the_leaderboard(word, sample_board):
    _, d = word
    table = d.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["名次", "名称", "总分", "等级", "星级"]
    t = sample_board.table
    assert len(rows) == t.height + 1
    assert [row[1] for row in rows[1:]] == t["name"].to_list()
    assert [row[0] for row in rows[1:]] == t["rank_label"].to_list()
    assert rows[1][2] == f"{t['total'][0]:.2f}"
    rules = {s.name for s in sample_board.rubric.stars}
    for row, n in zip(rows[1:], t["stars"].to_list(), strict=True):
        glyphs, _, names = row[4].partition(" ")
        if not n:
            assert row[4] == "—"
        else:                      # ★ per star, then the stars by name (卫生星、平安星 …)
            assert glyphs == "★" * n and len(names.split("、")) == n
            assert set(names.split("、")) <= rules
    # header repeats on every page, rows do not split
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert all(row._tr.xpath("./w:trPr/w:cantSplit") for row in table.rows)


def test_docx_fonts_page_numbers_and_qr(word):
    import zipfile

    out, d = word
    with zipfile.ZipFile(out) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
        fonts = z.read("word/fontTable.xml").decode("utf-8")
        footer = z.read("word/footer1.xml").decode("utf-8")
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        names = z.namelist()
    assert 'w:eastAsia="Noto Sans CJK SC"' in styles
    assert re.search(r'<w:font w:name="Noto Sans CJK SC">\s*<w:altName w:val="宋体"/>', fonts)
    assert "PAGE" in footer and "NUMPAGES" in footer and "第 " in footer and " 页" in footer
    assert len(media) == 1 and media[0].endswith(".png")          # the QR code
    assert "docProps/thumbnail.jpeg" not in names
    assert d.core_properties.created == FIXED.astimezone(UTC)
    assert "扫码查看" in "\n".join(p.text for p in d.paragraphs)


def test_docx_bytes_are_reproducible_and_dated(sample_board, tmp_path):
    import zipfile

    a = publish.write_docx(sample_board, tmp_path / "a.docx", generated=FIXED)
    b = publish.write_docx(sample_board, tmp_path / "b.docx", generated=FIXED)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 5, 1, 9, 30, 0)}
        assert not [n for n in z.namelist() if n.startswith("word/media/")]   # no url: no QR
    later = publish.write_docx(sample_board, tmp_path / "c.docx",
                               generated=FIXED.replace(day=2))
    assert later.read_bytes() != a.read_bytes()


# ---------------------------------------------------------------------------------------------
# QR codes

@given(path=st.text(alphabet="公示榜单楼栋abc-_./0123456789", max_size=20),
       unit=st.text(alphabet="HQXA0123456789-楼", min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_qr_urls_round_trip(path, unit):
    from urllib.parse import unquote

    from evaltools.publish.qr import page_url

    url = f"https://jd.example.gov.cn/{path}"
    assert unquote(page_url(url)) == url
    assert page_url(url).isascii()
    anchored = publish.unit_url(url + "#old", unit)
    assert anchored.isascii() and unquote(anchored) == f"{url}#{unit}"


def test_qr_svg_is_inline_offline_and_matches_segno():
    import xml.etree.ElementTree as ET

    import segno

    from evaltools.errors import UsageError

    url = "https://jd.example.gov.cn/公示/榜单公示.html#XA011"
    svg = publish.qr_svg(url, size_mm=30)
    root = ET.fromstring(svg)                         # well-formed, one element
    assert root.tag == "svg" and root.get("width") == "30mm"
    assert "href" not in svg and "http" not in svg   # nothing fetched, no link in the markup
    code = segno.make_qr(publish.qr.page_url(url), error="m", boost_error=False)
    w, _ = code.symbol_size(scale=1, border=4)
    assert root.get("viewBox") == f"0 0 {w} {w}"
    assert svg == publish.qr_svg(url, size_mm=30)
    assert publish.qr_png(url) == publish.qr_png(url)
    for bad in ("jd.example.gov.cn/x", "ftp://x.cn/a", "javascript:alert(1)"):
        with pytest.raises(UsageError):
            publish.qr_svg(bad)


# ---------------------------------------------------------------------------------------------
# poster

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@given(totals=st.lists(st.floats(0, 120, allow_nan=False), min_size=1, max_size=12))
@settings(deadline=None)
def test_poster_baseline_keeps_every_bar_and_shows_differences(totals):
    from evaltools.charts.leaderboard import poster_baseline

    base = poster_baseline(totals)
    lo, hi = min(totals), max(totals)
    assert 0 <= base <= lo                               # every bar has a length
    if base > 0:
        spread = max(hi - lo, 0.5)
        # the part of the bars all units share stays small next to the differences
        assert lo - base < spread * 2 / 3 + max(1.0, 1.25 * spread) + 1e-9
        assert (hi - base) >= (hi - lo)                  # the gaps are part of the bars
        assert base == int(base)                         # a round number said on the poster


def test_poster_is_portrait_1080_with_qr(sample_board, tmp_path, test_output):
    from evaltools.charts.leaderboard import poster_chart

    out = publish.poster(_with_url(sample_board), tmp_path / "p.png", top=10, generated=FIXED)
    w, h = _png_size(out.read_bytes())
    assert w == 1080 and h > w
    (test_output / "office_poster.png").write_bytes(out.read_bytes())   # for a person to look at
    spec = poster_chart(_with_url(sample_board), top=10, qr="data:image/png;base64,AAAA").to_dict()
    text = str(spec)
    assert "data:image/png;base64,AAAA" in text
    rows = spec["vconcat"][0]
    bar = next(layer for layer in rows["layer"] if layer["mark"]["type"] == "bar")
    assert bar["encoding"]["x2"]["field"] == "base"
    values = spec["datasets"][rows["data"]["name"]] if "datasets" in spec else rows["data"]["values"]
    base = values[0]["base"]
    assert 0 < base < min(v["total"] for v in values)    # totals are close: axis not from 0
    assert f"条形从 {base:g} 分画起" in text
    assert [v["差距"] for v in values][:2] == ["", "差第1名 3.53 分"]


# ---------------------------------------------------------------------------------------------
# corrections after objections: publish, correct, publish --supersedes

OBJECTION = "复核发现飞线为邻楼电线，误扣"


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """The sample published, then JY022's round-6 飞线充电 deduction (−2) removed after an
    objection, recorded in 更正记录.csv, and published again with --supersedes."""
    import shutil

    from evaltools.cli import main

    root = tmp_path_factory.mktemp("corr")
    data = root / "data"
    shutil.copytree(SAMPLE, data)
    os.environ["SOURCE_DATE_EPOCH"] = "1714527000"
    try:
        assert main(["publish", str(data), "--out", str(root / "v1"), "--top", "3"]) == 0
        d = pl.read_csv(data / "deductions.csv", infer_schema=False)
        keep = ~((pl.col("轮次") == "6") & (pl.col("楼栋编号") == "JY022")
                 & (pl.col("扣分项") == "飞线充电"))
        assert d.filter(~keep).height == 1
        d.filter(keep).write_csv(data / "deductions.csv")
        # without a recorded reason the correction is refused, naming the unit
        status_without = main(["publish", str(data), "--out", str(root / "v2"),
                               "--supersedes", str(root / "v1")])
        refused = not (root / "v2").exists()
        (data / "更正记录.csv").write_text(
            "单位编号,更正项目,原值,更正值,理由,日期\n"
            f"JY022,飞线充电扣分,2,0,{OBJECTION},2024-05-05\n", encoding="utf-8")
        os.environ["SOURCE_DATE_EPOCH"] = "1715000000"
        assert main(["publish", str(data), "--out", str(root / "v2"), "--top", "3",
                     "--supersedes", str(root / "v1")]) == 0
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return root, status_without, refused


def test_change_without_reason_is_refused(corrected, capsys):
    _, status, refused = corrected
    assert status == 1 and refused


def test_correction_round_trip_names_units_and_reasons(corrected, test_output):
    import shutil

    import docx

    root, _, _ = corrected
    for name in ("榜单公示.docx", "榜单.xlsx"):           # for a person to open
        shutil.copy(root / "v2" / name, test_output / f"office_correction_{name}")
    old = pl.read_csv(root / "v1" / "榜单.csv", infer_schema=False)
    new = pl.read_csv(root / "v2" / "榜单.csv", infer_schema=False)
    both = old.join(new, on="单位编号", suffix="_new")
    moved = both.filter(pl.col("排名") != pl.col("排名_new"))["单位编号"].to_list()
    rescored = both.filter(pl.col("总分") != pl.col("总分_new"))["单位编号"].to_list()
    assert rescored == ["JY022"] and "JY022" in moved and len(moved) > 1
    # the workbook's 更正说明: every changed score and rank, with the recorded reason
    sheet = pl.read_excel(root / "v2" / "榜单.xlsx", sheet_name="更正说明",
                          read_options={"header_row": HEADER_ROW})
    assert sheet.columns == ["单位编号", "名称", "项目", "原公示", "更正后", "更正依据"]
    total = sheet.filter((pl.col("单位编号") == "JY022") & (pl.col("项目") == "总分")).row(
        0, named=True)
    j = both.filter(pl.col("单位编号") == "JY022").row(0, named=True)
    assert (total["原公示"], total["更正后"]) == (j["总分"], j["总分_new"])
    assert OBJECTION in total["更正依据"] and "由 2 更正为 0" in total["更正依据"]
    ranks = sheet.filter(pl.col("项目") == "名次")
    assert sorted(ranks["单位编号"].to_list()) == sorted(moved)
    others = ranks.filter(pl.col("单位编号") != "JY022")["更正依据"].to_list()
    assert others and all(j["名称"] in why and "名次随之变动" in why for why in others)
    # the page and the Word notice carry the same 更正说明
    page = (root / "v2" / "榜单公示.html").read_text(encoding="utf-8")
    assert "<h2>更正说明</h2>" in page and OBJECTION in page
    assert page.index("<h2>更正说明</h2>") < page.index('<section id="satisfaction">')
    d = docx.Document(str(root / "v2" / "榜单公示.docx"))
    assert "三、更正说明" in [p.text for p in d.paragraphs]
    cells = [[c.text for c in r.cells] for r in d.tables[1].rows]
    assert cells[0] == ["单位编号", "名称", "项目", "原公示", "更正后", "更正依据"]
    assert {r[0] for r in cells[1:]} == set(moved)
    assert any(OBJECTION in r[5] for r in cells[1:])
    assert "涉及" in "\n".join(p.text for p in d.paragraphs[:5])


def test_correction_chains_the_two_publications(corrected):
    import hashlib

    root, _, _ = corrected
    sha = {n: hashlib.sha256((root / "v1" / n).read_bytes()).hexdigest()
           for n in ("SHA256SUMS", "榜单.csv")}
    audit = openpyxl.load_workbook(root / "v2" / "榜单.xlsx")["审计"]
    rows = {r[0]: r[1] for r in audit.iter_rows(min_row=HEADER_ROW + 2, values_only=True) if r[0]}
    assert rows["上一版公示"] == "v1"
    assert rows["上一版 SHA256SUMS SHA-256"] == sha["SHA256SUMS"]
    assert rows["上一版 榜单.csv SHA-256"] == sha["榜单.csv"]
    page = (root / "v2" / "榜单公示.html").read_text(encoding="utf-8")
    assert sha["SHA256SUMS"] in page and sha["榜单.csv"] in page
    # the new SHA256SUMS lists every file it ships, and they match
    listed = dict(line.split("  ")[::-1] for line in
                  (root / "v2" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
                  if not line.startswith("#"))
    assert set(listed) == {p.name for p in (root / "v2").iterdir()} - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((root / "v2" / name).read_bytes()).hexdigest() == digest


def test_supersedes_usage_errors(corrected, tmp_path):
    import shutil

    from evaltools.cli import main

    root, _, _ = corrected
    data = str(root / "data")
    # writing into the superseded folder, a folder that is not a publication
    assert main(["publish", data, "--out", str(root / "v1"), "--supersedes",
                 str(root / "v1")]) == 2
    assert main(["publish", data, "--out", str(tmp_path / "x"), "--supersedes",
                 str(tmp_path)]) == 2
    assert main(["publish", data, "--out", str(tmp_path / "x"), "--supersedes",
                 str(tmp_path / "nope")]) == 2
    # a previous 榜单.csv changed after publishing no longer matches its SHA256SUMS
    tampered = tmp_path / "v1"
    shutil.copytree(root / "v1", tampered)
    csv = tampered / "榜单.csv"
    csv.write_bytes(csv.read_bytes().replace(b"JY022", b"JY023", 1))
    assert main(["publish", data, "--out", str(tmp_path / "y"), "--supersedes",
                 str(tampered)]) == 2
    assert not (tmp_path / "y").exists()


def test_corrections_table_is_validated(tmp_path):
    import shutil

    from evaltools.errors import ValidationError

    data = tmp_path / "d"
    data.mkdir()
    for name in ("units.csv", "rubric.toml"):
        shutil.copy(SAMPLE / name, data / name)
    (data / "corrections.csv").write_text(
        "unit_id,item,before,after,reason,date\n"
        "NOPE,总分,1,2,理由,2024-05-05\n"
        "JY022,总分,1,2,,2024-05-05\n"
        "JY022,总分,1,2,理由,2024-13-45\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        read_dataset(data)
    got = {(p.row, p.rule) for p in err.value.problems}
    assert got == {(2, "unknown_unit"), (3, "missing_value"), (4, "bad_datetime")}
    ds = read_dataset(data, lenient=True)
    assert ds.corrections.height == 0 and ds.rejected["corrections"].height == 3


def test_page_prints_a_qr_code_to_itself(sample_board):
    import xml.etree.ElementTree as ET

    url = "https://jd.example.gov.cn/公示/榜单公示.html"
    page = publish.render_html(_with_url(sample_board, url), generated=FIXED, charts=False,
                               sections={})
    figure = re.search(r'<figure id="qr" class="print-only qr">(<svg .*?</svg>)', page, re.S)
    assert figure and figure.group(1) == publish.qr_svg(url)
    ET.fromstring(figure.group(1))
    css = page[page.index("@media print"):]
    assert "figure.qr { display: flex" in css                  # shown on paper only
    plain = publish.render_html(sample_board, generated=FIXED, charts=False, sections={})
    assert 'id="qr"' not in plain                              # no url: no QR


def test_xlsx_parts_zipped_from_memory_with_a_fixed_stamp(sample_board, tmp_path):
    """The workbook's parts are zipped from memory (no temporary files): every entry carries
    xlsxwriter's fixed 1980-01-01 stamp, and two writes give the same bytes."""
    import zipfile

    a = publish.write_excel(sample_board, tmp_path / "a.xlsx", generated=FIXED)
    b = publish.write_excel(sample_board, tmp_path / "b.xlsx", generated=FIXED)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "xl/worksheets/sheet1.xml" in z.namelist()


def test_excel_column_widths_count_chinese_double():
    """Widths: the longest cell (or the header) in Excel units, a Chinese character counting
    two, plus 2.5, at most 40; every dtype through its text, empty and null cells as 0."""
    from evaltools.publish.excel import MAX_WIDTH, _display_width

    frame = pl.DataFrame(
        {"名称": ["粮机厂院", None, "A1"], "n": [1, 22, None], "score": [93.5, None, 100.25],
         "flag": [True, None, False], "c": ["甲乙", None, "丙"], "empty": [None, None, None],
         "long": ["长" * 30, "x", None]},
        schema={"名称": pl.String, "n": pl.Int64, "score": pl.Float64, "flag": pl.Boolean,
                "c": pl.Categorical, "empty": pl.String, "long": pl.String})
    assert _display_width(frame) == {
        "名称": 8 + 2.5, "n": 2 + 2.5, "score": 6 + 2.5, "flag": 5 + 2.5, "c": 4 + 2.5,
        "empty": 5 + 2.5, "long": MAX_WIDTH}
    assert _display_width(frame.head(0)) == {
        "名称": 4 + 2.5, "n": 1 + 2.5, "score": 5 + 2.5, "flag": 4 + 2.5, "c": 1 + 2.5,
        "empty": 5 + 2.5, "long": 4 + 2.5}
