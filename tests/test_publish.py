"""Publishing: masking, escaping, formula injection, Excel/CSV read-back, audit, determinism,
HTML snapshot. Browser and PNG checks are in test_publish_browser.py."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from evaltools import __version__, evaluate, publish, read_dataset
from evaltools.charts import leaderboard as charts
from evaltools.errors import UsageError
from evaltools.examples import two_buildings
from evaltools.rounding import format_score
from evaltools.rubric import Criterion, GradeBand, Rubric, StarRule

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SNAPSHOTS = ROOT / "tests" / "snapshots"
FIXED = datetime(2024, 5, 1, 9, 30, tzinfo=publish.CHINA_TZ)

SCRIPT = "<script>alert(1)</script>"
HOSTILE_NAMES = [SCRIPT, '=HYPERLINK("http://evil.example","点我")', "+1+2", "-3", "@SUM(A1)",
                 "正常楼院"]


def hostile_board(*, allow_comments: bool = False):
    """Six units whose names attack HTML and spreadsheets; comments with names and phones."""
    rubric = Rubric(
        name="楼栋评比<b>测试</b>", organiser="某某街道办事处", period="2024年5月",
        notice_days=7, allow_comments=allow_comments,
        criteria=(Criterion("clean", "环境卫生", group="环境整治", max_points=60, scale=(0, 10)),
                  Criterion("tidy", "楼道整洁", group="环境整治", max_points=40, scale=(0, 10))),
        judge_aggregate="mean", grades=(GradeBand("优秀", 90), GradeBand("合格", 60)),
        stars=(StarRule("卫生星", criterion="clean", min_share=0.9),))
    ids = [f"U{i}" for i in range(6)]
    units = pl.DataFrame({"unit_id": ids, "name": HOSTILE_NAMES,
                          "street": ["=1+1", "新安路街道", "新安路街道", "济源路街道", "济源路街道",
                                     "济源路街道"],
                          "community": ["@社区", "金华社区", "金华社区", "三湾社区", "三湾社区",
                                        "三湾社区"],
                          "courtyard": ids})
    n = len(ids)
    scores = pl.DataFrame({
        "round": 1, "unit_id": [u for u in ids for _ in range(6)],
        "judge_id": ["J1", "J2", "J3"] * (2 * n),
        "criterion": (["clean"] * 3 + ["tidy"] * 3) * n,
        "score": [float(10 - i % 5) for i in range(6 * n)]})
    ratings = pl.DataFrame({
        "unit_id": ["U0", "U1", "U1"], "respondent_id": ["K1", "K2", "K3"],
        "submitted_at": [datetime(2024, 5, 1)] * 3, "item": ["环境卫生"] * 3,
        "rating": ["满意", "基本满意", "不满意"],
        "comment": ["我是张三，电话13812345678，请回电", None,
                    "身份证410102199001011234，楼道太脏"]})
    ds = SimpleNamespace(scores=scores, units=units, ratings=None, deductions=None,
                         rubric=rubric, path=None)
    lb = evaluate(ds)
    # ratings are not scored by this rubric; attach them for the satisfaction/comments parts
    return lb._replace(dataset=SimpleNamespace(**{**vars(ds), "ratings": ratings}))


@pytest.fixture(scope="module")
def sample_board():
    return evaluate(read_dataset(SAMPLE))


# ---------------------------------------------------------------------------------------------
# masking


def test_mask_known_answers():
    df = pl.DataFrame({
        "name": ["张三", "欧阳娜娜", "李", "", None],
        "phone": ["13812345678", "138-1234-5678", "+86 138 1234 5678", "0371-68881234", None],
        "id": ["41010219900101123X", "410102199001011234", "123", "", None],
    })
    out = df.select(publish.mask_name("name"), publish.mask_phone("phone"),
                    publish.mask_id_number("id"))
    assert out["name"].to_list() == ["张*", "欧*", "李*", "", None]
    assert out["phone"].to_list() == ["138****5678", "138****5678", "138****5678",
                                      "037****1234", None]
    assert out["id"].to_list() == ["410***********123X", "410***********1234", "****", "", None]


def test_mask_personal_uses_the_schema():
    t = pl.DataFrame({"ticket_id": ["T1"], "resident_name": ["王小明"], "phone": ["13912345678"],
                      "room": ["4-3-501"], "content": ["王小明 13912345678 家门口堆物"],
                      "voter_id": ["wx_openid_abcdef"], "ip": ["10.1.2.3"],
                      "身份证号": ["41010219900101123X"], "status": ["已办结"]})
    row = publish.mask_personal(t).row(0, named=True)
    assert row == {"ticket_id": "T1", "resident_name": "王*", "phone": "139****5678",
                   "room": "***", "content": "王小明 139****5678 家门口堆物",
                   "voter_id": "wx***", "ip": "10***", "身份证号": "410***********123X",
                   "status": "已办结"}


MOBILE = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
ID18 = st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True)
FILLER = st.text(alphabet=st.sampled_from(list("楼道卫生，。、电话号码abcX ;:()")), max_size=8)
#: numbers written back to back without a separator cannot be told apart from one long number
SEPARATOR = st.text(alphabet=st.sampled_from(list("楼道卫生，。、电话号码abcX ;:()")), min_size=1,
                    max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(SEPARATOR, st.one_of(MOBILE, ID18)), min_size=1, max_size=4), FILLER)
def test_scrub_text_removes_every_phone_and_id(parts, tail):
    text = "".join(a + b for a, b in parts) + tail
    out = pl.DataFrame({"t": [text]}).select(publish.scrub_text("t")).item()
    for _, secret in parts:
        assert secret not in out
    assert not re.search(r"1[3-9]\d{9}", out)
    assert not re.search(r"\d{17}[\dX]", out)
    assert out.count("*") == sum(4 if len(p) == 11 else 11 for _, p in parts)
    # only digits were hidden: the rest of the text is untouched
    assert re.sub(r"[\d*X]", "", out) == re.sub(r"[\dX]", "", text)


LONG_DIGITS = st.from_regex(r"[0-9]{15}|[0-9]{16,19}", fullmatch=True)  # old IDs, bank cards


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(MOBILE, ID18, LONG_DIGITS), min_size=1, max_size=3), FILLER, FILLER)
def test_scrub_text_hides_numbers_written_back_to_back(numbers, head, tail):
    """Digits glued together (two phones, a phone and an ID) or a 15–19 digit number: no run of
    more than seven digits survives, and no phone or ID number is left in the text."""
    text = head + "".join(numbers) + tail
    out = pl.DataFrame({"t": [text]}).select(publish.scrub_text("t")).item()
    assert out.startswith(head) and out.endswith(tail)
    middle = out[len(head):len(out) - len(tail)]
    assert not re.search(r"\d{8}", middle) and not re.search(r"1[3-9]\d{9}", out)
    assert "****" in middle


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("楼道卫生，。abc XYZ-_")), max_size=30))
def test_scrub_text_leaves_text_without_numbers_alone(text):
    assert pl.DataFrame({"t": [text]}).select(publish.scrub_text("t")).item() == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_html_escape_matches_stdlib(text):
    got = pl.DataFrame({"t": [text]}).select(publish.html_escape("t")).item()
    assert got == html.escape(text, quote=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12))
def test_neutralize_formula(text):
    got = pl.DataFrame({"t": [text]}).select(publish.neutralize_formula("t")).item()
    assert got[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert got == ("'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text)


# ---------------------------------------------------------------------------------------------
# hostile inputs in every format


def test_html_escapes_everything_and_has_no_external_reference(tmp_path):
    lb = hostile_board()
    page = publish.render_html(lb, generated=FIXED)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>测试</b>" not in page and "楼栋评比&lt;b&gt;测试&lt;/b&gt;" in page
    body = page.split("<body>", 1)[1]
    # nothing to fetch (issue 16: in-page links to each building's anchor, href="#…", are allowed)
    assert not re.search(r"(src|href)\s*=(?!\s*\"#)", body)
    charts = body[body.index('<section id="charts">'):body.index('<footer id="audit">')]
    visible = re.sub(r"http://evil\.exa[^<&\"]*", "", body.replace(charts, ""))  # the name as text
    assert "http://" not in visible.replace("http://www.w3.org", "")
    # the charts set a long name on several lines (the hostile one may be split after http://):
    # there it is only ever text, never an attribute's value
    for svg in re.findall(r"<svg .*?</svg>", charts, re.S):
        root = ET.fromstring(svg)
        assert not [v for el in root.iter() for k, v in el.attrib.items()
                    if "http" in v and k != "xmlns"]
    assert "@import" not in page and "@font-face" not in page   # no web fonts, no remote CSS
    assert not re.search(r"url\((?!#)", page)                # only in-page references
    assert "default-src 'none'" in page                  # CSP forbids every request
    assert 'data-unit-id="U0"' in page
    # the charts' SVG escapes the names too
    svg = page[page.index('<section id="charts">'):page.index('<footer id="audit">')]
    assert "<script" not in svg.lower() and "&lt;script&gt;" in svg


def _read_sheet(path: Path, sheet: str, **options) -> pl.DataFrame:
    """A table sheet of a published workbook: headers on row 3, under the two title rows."""
    return pl.read_excel(path, sheet_name=sheet,
                         read_options={"header_row": publish.excel.HEADER_ROW}, **options)


def _sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def test_xlsx_never_writes_formulas(tmp_path):
    lb = hostile_board()
    out = publish.write_excel(lb, tmp_path / "b.xlsx", generated=FIXED)
    parts = _sheet_xml(out)
    sheets = {n: x for n, x in parts.items() if n.startswith("xl/worksheets/sheet")}
    assert sheets and not any("<f>" in x or "<f " in x for x in sheets.values())
    assert 'quotePrefix="1"' in parts["xl/styles.xml"]
    back = _read_sheet(out, "总榜")
    assert set(HOSTILE_NAMES) <= set(back["名称"].to_list())   # values unchanged, as text


def test_csv_neutralises_formulas(tmp_path):
    lb = hostile_board()
    out = publish.write_csv(lb, tmp_path / "b.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pl.read_csv(out, infer_schema=False)
    names = back["名称"].to_list()
    assert "'-3" in names and "'+1+2" in names and "'@SUM(A1)" in names
    assert any(n.startswith("'=HYPERLINK") for n in names)
    assert SCRIPT in names and "正常楼院" in names
    for col in back.columns:
        text = back[col].drop_nulls()
        bad = text.filter(text.str.contains(r"^[=+@\t\r]") |
                          (text.str.starts_with("-") & ~text.str.contains(r"^-?\d+(\.\d+)?$")))
        assert bad.len() == 0, (col, bad.to_list())


def test_comments_published_only_when_allowed_and_masked(tmp_path):
    hidden = hostile_board(allow_comments=False)
    page = publish.render_html(hidden, generated=FIXED, charts=False)
    assert "请回电" not in page and "楼道太脏" not in page
    xlsx = publish.write_excel(hidden, tmp_path / "h.xlsx", generated=FIXED)
    assert "群众留言" not in pl.read_excel(xlsx, sheet_id=0)

    shown = hostile_board(allow_comments=True)
    page = publish.render_html(shown, generated=FIXED, charts=False)
    assert "请回电" in page and "138****5678" in page and "410***********1234" in page
    assert "13812345678" not in page and "410102199001011234" not in page
    xlsx = publish.write_excel(shown, tmp_path / "s.xlsx", generated=FIXED)
    comments = _read_sheet(xlsx, "群众留言")["群众留言"].to_list()
    assert comments == ["我是张三，电话138****5678，请回电", "身份证410***********1234，楼道太脏"]


def test_notes_and_sections_are_scrubbed(tmp_path):
    lb = hostile_board()
    lb = lb._replace(notes=(*lb.notes, "联系人 13912345678 已核实 | contact 13912345678 checked"))
    tickets = pl.DataFrame({"工单编号": ["T1"], "居民姓名": ["李四"], "联系电话": ["13712345678"],
                            "诉求内容": ["电话 13712345678 单元门坏了"]})
    page = publish.render_html(lb, generated=FIXED, charts=False, sections={"民情速递站": tickets})
    assert "139****5678" in page and "13912345678" not in page
    assert "李*" in page and "李四" not in page and "13712345678" not in page
    xlsx = publish.write_excel(lb, tmp_path / "n.xlsx", generated=FIXED,
                               sections={"民情速递站": tickets})
    row = _read_sheet(xlsx, "民情速递站").row(0)
    assert row == ("T1", "李*", "137****5678", "电话 137****5678 单元门坏了")
    text = "".join(_sheet_xml(xlsx).values())
    assert "13712345678" not in text and "13912345678" not in text and "李四" not in text


def test_judges_published_by_id_not_name(sample_board, tmp_path):
    names = sample_board.dataset.judges["name"].to_list()
    page = publish.render_html(sample_board, generated=FIXED, charts=False)
    xlsx = publish.write_excel(sample_board, tmp_path / "j.xlsx", generated=FIXED)
    text = page + "".join(_sheet_xml(xlsx).values())
    assert not [n for n in names if n in text]
    assert "评委1" in _read_sheet(xlsx, "评委明细")["评委编号"].to_list()  # private (issue 14.7)


def test_sample_personal_fields_never_published(sample_board, tmp_path):
    """Residents' names and phones of the sample tickets appear in no output."""
    files = publish.publish(sample_board, tmp_path)
    blob = files["html"].read_text(encoding="utf-8") + "".join(_sheet_xml(files["xlsx"]).values()) \
        + files["csv"].read_text(encoding="utf-8-sig")
    tickets = sample_board.dataset.tickets
    phones = tickets["phone"].drop_nulls().unique().to_list()
    assert phones and not [p for p in phones if p in blob]
    assert "民情速递站" in blob and "晒最美" in blob    # the sections exist …
    # … without a phone number (digits inside decimals such as 409.12199999999996 are not one)
    assert not re.search(r"(?<![\d.])1[3-9]\d{9}(?!\d)", blob)


# ---------------------------------------------------------------------------------------------
# Excel and CSV read back


def _as_in_workbook(table: pl.DataFrame, lb) -> pl.DataFrame:
    """The published table with the workbook's three conversions, written out independently:
    booleans → 是/否, 星级 → ★ text (— for none), 名次变化 "▲2" → 2 ("新上榜" stays text)."""
    stars = ["★" * s if s else "—" for s in table["星级"].to_list()]
    moves = []
    for m in table["名次变化"].to_list():
        if m is None or m == "新上榜":
            moves.append(m)
        else:
            moves.append(str({"▲": 1, "▼": -1}[m[0]] * int(m[1:])) if m != "—" else "0")
    out = table.with_columns(pl.Series("星级", stars, pl.String),
                             pl.Series("名次变化", moves, pl.String))
    bools = [c for c, t in table.schema.items() if t == pl.Boolean]
    return out.with_columns(pl.col(c).replace_strict({True: "是", False: "否"},
                                                     return_dtype=pl.String) for c in bools)


def test_xlsx_reads_back_as_the_leaderboard(sample_board, tmp_path):
    lb = sample_board
    out = publish.write_excel(lb, tmp_path / "b.xlsx", generated=FIXED)
    expected = _as_in_workbook(publish.published_table(lb), lb)
    back = _read_sheet(out, "总榜", schema_overrides=expected.schema)
    assert_frame_equal(back.drop("星级名称"), expected)
    assert back.columns.index("星级名称") == back.columns.index("星级") + 1
    named = back.select(pl.col("星级名称").str.split("、").list.len().alias("n"),
                        pl.col("星级").str.len_chars().alias("k"), "星级名称")
    assert named.filter(pl.col("星级名称") != "—").select((pl.col("n") == pl.col("k")).all()).item()
    sheets = pl.read_excel(out, sheet_id=0, read_options={"header_row": 2})
    assert list(sheets)[:2] == ["总榜", "分项得分"]
    assert {"评委明细", "满意度", "方法与权重", "审计", "民情速递站", "晒最美"} <= set(sheets)
    values = sheets["分项得分"]
    got = values.filter(pl.col("单位编号") == lb.table["unit_id"][0])["得分"].sum()
    assert got == pytest.approx(lb.table["total_unrounded"][0]
                                - lb.table["bonuses"][0], abs=0.05)


def test_xlsx_layout(tmp_path):
    out = publish.write_excel(hostile_board(), tmp_path / "b.xlsx", generated=FIXED)
    sheet1 = _sheet_xml(out)["xl/worksheets/sheet1.xml"]
    assert '<pane xSplit="4" ySplit="3"' in sheet1            # frozen title, header, unit columns
    widths = [float(w) for w in re.findall(r'<col [^>]*width="([\d.]+)"', sheet1)]
    assert widths and min(widths) >= 4
    core = _sheet_xml(out)["docProps/core.xml"]
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2024-05-01T01:30:00Z" in core  # UTC


def test_csv_reads_back(sample_board, tmp_path):
    out = publish.write_csv(sample_board, tmp_path / "b.csv")
    expected = publish.published_table(sample_board)
    back = pl.read_csv(out, schema=expected.schema)
    assert_frame_equal(back, expected)


# ---------------------------------------------------------------------------------------------
# contents, audit, determinism


def test_html_contents(sample_board):
    lb = sample_board
    page = publish.render_html(lb, generated=FIXED)
    # issue 16: a notice's title is 关于…结果的公示 (was "<name>第6轮结果公示")
    assert "<h1 id=\"title\">关于上街区无主管楼院楼栋评比赛第6轮结果的公示</h1>" in page
    for text in ("上街区委办公室", "2020年5月—10月，共6期", "并列", "四舍五入", "满意+基本满意",
                 "去掉一个最高分和一个最低分后平均", "公示期 7 天（2024年05月01日 至 2024年05月07日）",
                 "环境整治", "设施安全", "较第5轮", "▲", "★", "民情速递站", "晒最美", "群众满意度",
                 f"<dd>{__version__}</dd>", lb.rubric.sha256, "2024-05-01 09:30（北京时间）"):
        assert text in page, text
    first = lb.table.row(0, named=True)
    assert f'data-unit-id="{first["unit_id"]}"' in page and first["name"] in page
    assert '<svg' in page


def test_audit_hashes_every_data_file(sample_board):
    audit = dict(publish.audit_table(sample_board, generated=FIXED).iter_rows())
    files = sorted(p for p in SAMPLE.iterdir() if p.suffix == ".csv")
    assert files
    for p in files:
        assert audit[f"数据文件 {p.name} SHA-256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    assert audit["评分细则 SHA-256"] == hashlib.sha256(
        (SAMPLE / "rubric.toml").read_bytes()).hexdigest()
    assert audit["evaltools 版本"] == __version__
    assert "评分细则修改" not in audit
    changed = sample_board.with_weights({"sanitation": 30})
    assert "评分细则修改" in dict(publish.audit_table(changed, generated=FIXED).iter_rows())


def test_generation_time_from_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    assert publish.generated_at() == FIXED
    page = publish.render_html(two_buildings(), charts=False)
    assert "2024-05-01 09:30（北京时间）" in page
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "tomorrow")
    with pytest.raises(UsageError):
        publish.generated_at()


def test_publishing_twice_gives_identical_bytes(sample_board, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    a = publish.publish(sample_board, tmp_path / "a", top=5)
    b = publish.publish(sample_board, tmp_path / "b", top=5)
    pdf = {"pdf"} if publish.pdf_available() else set()  # the PDF needs WeasyPrint + pango
    assert set(a) == {"html", "docx", "xlsx", "csv", "png", "svg", "poster", "manifest"} | pdf
    for kind in a:
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
        assert a[kind].stat().st_size > 0


def test_rank_intervals_shown(tmp_path):
    lb = two_buildings()
    iv = pl.DataFrame({"unit_id": ["A", "B"], "rank_lower": [1, 1], "rank_upper": [2, 2]})
    page = publish.render_html(lb, generated=FIXED, charts=False, intervals=iv)
    assert "<th class=\"num\">名次区间</th>" in page and ">1–2</td>" in page
    with pytest.raises(UsageError):
        publish.with_intervals(lb, iv.drop("rank_upper"))


def test_save_chart_rejects_other_formats(tmp_path):
    with pytest.raises(UsageError):
        publish.save_chart(charts.leaderboard_bars(two_buildings()), tmp_path / "a.pdf")


def test_leaderboard_methods_delegate(tmp_path):
    lb = two_buildings()
    assert lb.write_csv(tmp_path / "a.csv").read_bytes() == \
        publish.write_csv(lb, tmp_path / "b.csv").read_bytes()
    assert lb.write_html(tmp_path / "a.html", charts=False, generated=FIXED).exists()
    assert lb.write_excel(tmp_path / "a.xlsx", generated=FIXED).exists()


# ---------------------------------------------------------------------------------------------
# snapshot (fixed ids, fixed time, no charts)


def test_html_snapshot():
    page = publish.render_html(two_buildings(), charts=False, generated=FIXED, sections={})
    page = page.replace(__version__, "VERSION")
    snap = SNAPSHOTS / "publish_doctest_board.html"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not snap.exists():
        snap.parent.mkdir(exist_ok=True)
        snap.write_text(page, encoding="utf-8")
    assert page == snap.read_text(encoding="utf-8"), \
        "HTML changed: review the diff, then rerun with UPDATE_SNAPSHOTS=1"
    for fixed_id in ("title", "facts", "leaderboard", "leaderboard-table", "method", "weights",
                     "notes", "notice-period", "audit"):
        assert f'id="{fixed_id}"' in page


# ---------------------------------------------------------------------------------------------
# charts (specs, not pixels)


def test_charts_are_unconfigured_and_composable(sample_board):
    import altair as alt

    lb = sample_board
    built = [charts.leaderboard_bars(lb, top=5), charts.criteria_heatmap(lb, top=5),
             charts.contributions(lb, top=5), charts.judge_leniency(lb),
             charts.poster_chart(lb, top=3)]
    for c in built:
        assert c.config is alt.Undefined
    spec = (built[0] | built[3]).to_dict()
    assert "hconcat" in spec
    bars = pl.DataFrame(charts.leaderboard_bars(lb, top=5).data)
    assert bars["unit_id"].to_list() == lb.top(5)["unit_id"].to_list()
    assert bars["标注"][0] == f"第1名 {format_score(lb.table['total'][0], lb.rubric.digits)}"


def test_bars_show_intervals_when_columns_exist():
    lb = two_buildings()
    t = lb.table.with_columns(rank_lower=pl.lit(1), rank_upper=pl.lit(2),
                              total_low=pl.col("total") - 1, total_high=pl.col("total") + 1)
    lb2 = dataclasses.replace(lb, table=t)
    spec = charts.leaderboard_bars(lb2).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule", "text"]
    labels = pl.DataFrame(charts.leaderboard_bars(lb2).data)["标注"].to_list()
    assert labels == ["第1名 94.00（名次区间 1–2）", "第2名 80.00（名次区间 1–2）"]
    plain = charts.leaderboard_bars(lb).to_dict()
    assert [layer["mark"]["type"] for layer in plain["layer"]] == ["bar", "text"]


def test_heatmap_and_contributions_data(sample_board):
    lb = sample_board
    heat = pl.DataFrame(charts.criteria_heatmap(lb, top=3).data)
    assert heat.height == lb.top(3).height * len(lb.rubric.criteria)
    assert heat["share"].min() >= 0 and heat["share"].max() <= 1
    stack = pl.DataFrame(charts.contributions(lb, top=1).data)
    assert stack["得分"].sum() == pytest.approx(
        sum(lb.table.row(0, named=True)[c] for c in lb.rubric.criterion_ids))
    lenient = pl.DataFrame(charts.judge_leniency(lb).data)
    assert set(lenient["方向"]) <= {"偏宽松", "偏严格", "需复核"}
    assert lenient["judge_id"].n_unique() == lenient.height


@pytest.mark.parametrize("variant", ["all_rounds", "topsis", "first_round"])
def test_other_rounds_and_methods_publish(sample_board, variant, tmp_path):
    lb = {"all_rounds": lambda: evaluate(sample_board.dataset, round="all"),
          "topsis": lambda: sample_board.with_method("topsis"),
          "first_round": lambda: evaluate(sample_board.dataset, round=1)}[variant]()
    page = publish.render_html(lb, generated=FIXED, charts=False, sections={})
    assert lb.table["unit_id"][0] in page
    assert ("较第" in page) == (lb.previous_round is not None)
    assert ("各轮平均" in page) == (variant == "all_rounds")
    weights = publish.weights_table(lb)
    if variant == "topsis":
        assert "权重" in weights.columns and sum(weights["权重"]) == pytest.approx(1.0)
    else:
        assert sum(weights["满分"]) == pytest.approx(100.0)
    out = publish.write_excel(lb, tmp_path / "v.xlsx", generated=FIXED, sections={})
    expected = _as_in_workbook(publish.published_table(lb), lb)
    back = _read_sheet(out, "总榜", schema_overrides=expected.schema)
    assert_frame_equal(back.drop("星级名称"), expected)


def test_cli_publish(tmp_path, monkeypatch, capsys):
    from evaltools.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "build"), "--top", "3"]) == 0
    names = sorted(p.name for p in (tmp_path / "build").iterdir())
    pdf = ["榜单公示.pdf"] if publish.pdf_available() else []
    assert names == sorted(["榜单公示.html", "榜单公示.docx", "榜单.xlsx", "榜单.csv", "总分排名.png",
                            "总分排名.svg", "海报.png", "SHA256SUMS", *pdf])  # the set and its hashes (issue 18)
    assert "已保存" in capsys.readouterr().out
    assert main(["publish", str(tmp_path / "nope"), "--out", str(tmp_path / "b")]) == 2
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "b"), "--rubric", "x.toml"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "file")]) == 2
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "b"), "--round", "99"]) == 2
    assert main(["publish", str(SAMPLE)]) == 2          # --out is required


# ---------------------------------------------------------------------------------------------
# choosing the formats (issue 17: the page, the workbook, the CSV and the charts without the
# PDF and the Word notice)


def test_publish_writes_only_the_formats_asked_for(sample_board, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    files = publish.publish(sample_board, tmp_path / "some", formats="csv, DOCX")
    assert set(files) == {"docx", "csv", "manifest"}
    names = sorted(p.name for p in (tmp_path / "some").iterdir())
    assert names == sorted(["榜单公示.docx", "榜单.csv", "SHA256SUMS"])
    sums = (tmp_path / "some" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert sums[0].startswith("# evaltools")                  # what marks the set as ours
    sums = sums[1:]
    assert sorted(line.split()[1] for line in sums) == ["榜单.csv", "榜单公示.docx"]
    for line in sums:                                         # the hashes of what is there
        digest, name = line.split()
        assert hashlib.sha256((tmp_path / "some" / name).read_bytes()).hexdigest() == digest
    # the same bytes as the same files written alone
    alone = publish.write_csv(sample_board, tmp_path / "alone.csv")
    assert alone.read_bytes() == files["csv"].read_bytes()


def test_one_generation_time_given_by_the_caller(sample_board, tmp_path, monkeypatch):
    # the app publishes one set in two steps (the fast files, then all of them with the PDF):
    # the same `generated` gives the same bytes, whatever SOURCE_DATE_EPOCH or the clock says
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    fast = "html,xlsx,csv,png,svg,poster"
    a = publish.publish(sample_board, tmp_path / "a", formats=fast, generated=FIXED)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")  # ignored: the caller's time wins
    utc = FIXED.astimezone(datetime.now().astimezone().tzinfo)  # the same instant elsewhere
    b = publish.publish(sample_board, tmp_path / "b", formats="csv,xlsx,html,docx,poster,png,svg",
                        generated=utc)
    assert set(a) - {"manifest"} <= set(b)
    for kind in set(a) - {"manifest"}:
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    assert "2024-05-01 09:30（北京时间）" in a["html"].read_text(encoding="utf-8")
    # without it: SOURCE_DATE_EPOCH, as before
    c = publish.publish(sample_board, tmp_path / "c", formats="html")
    assert "2020-09-13 20:26（北京时间）" in c["html"].read_text(encoding="utf-8")


def test_publish_formats_are_checked_before_anything_is_written(sample_board, tmp_path):
    assert publish.publish_formats(None) == publish.FORMATS
    assert publish.publish_formats(["poster", "html"]) == ("html", "poster")  # FORMATS order
    for bad in (["html", "jpg"], "", " , ", "pdf;docx"):
        with pytest.raises(UsageError, match="可选格式") as info:
            publish.publish(sample_board, tmp_path / "bad", formats=bad)
        assert info.value.problems[0].rule == "bad_format"
        assert "html,pdf,docx,xlsx,csv,png,svg,poster" in str(info.value)
    assert not (tmp_path / "bad").exists()


def test_cli_publish_formats(tmp_path, capsys):
    from evaltools.cli import main
    from evaltools.cli.publish import FORMAT_NAMES

    assert FORMAT_NAMES == ",".join(publish.FORMATS)          # the help lists them all
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "b"), "--formats", "csv,svg"]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(
        ["榜单.csv", "总分排名.svg", "SHA256SUMS"])
    capsys.readouterr()
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "c"), "--formats", "html,jpg"]) == 2
    err = capsys.readouterr().err
    assert "未知的发布格式：jpg" in err and "unknown publish format: jpg" in err
    assert "Traceback" not in err and not (tmp_path / "c").exists()


def _stable_svg_ids_by_regex(svg: str, prefix: str) -> str:
    """stable_svg_ids as it was written with ``\\b`` regexes (the reference)."""
    ids = list(dict.fromkeys(re.findall(r'\bid="([^"]+)"', svg)))
    if not ids:
        return svg
    new = {old: f"{prefix}-{k + 1}" for k, old in enumerate(ids)}
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=[")])')
    return pattern.sub(lambda m: m.group(1) + new[m.group(2)], svg)


@pytest.mark.parametrize("svg", [
    '<svg><linearGradient id="gradient_7"/><path fill="url(#gradient_7)"/></svg>',
    '<svg><g xid="a" id="b"><use href="#b"/><use href="#a"/>url(#a) url(#b)</g></svg>',
    '<svg data-id="x"><g id="x"/>url(#x"</svg>',
    '<svg><g xid="id="bar"/><g id="bar"/>_id="z" 中id="w" url(#bar)</svg>',
    '<svg><g id="a"/><g id="ab"/><g id="a"/>url(#ab) url(#a) href="#abc"</svg>',
    "<svg/>",
])
def test_stable_svg_ids_as_the_regex_reference(svg):
    assert publish.html.stable_svg_ids(svg, "chart-1") == _stable_svg_ids_by_regex(svg, "chart-1")


@given(st.lists(st.sampled_from(['id="', 'xid="', '_id="', ' id="', "url(#", 'href="#', '"', ")",
                                 "a", "b", "id", "中", "-", "=", " "]), max_size=30))
@settings(max_examples=300, deadline=None)
def test_stable_svg_ids_as_the_regex_reference_on_any_text(bits):
    svg = "".join(bits)
    assert publish.html.stable_svg_ids(svg, "c") == _stable_svg_ids_by_regex(svg, "c")


def test_satisfied_residents_are_whole_people_or_say_they_are_shared(sample_board, tmp_path):
    """满意人数 counts residents: when some answered several items, each counts as the share of
    their answers that were satisfied (docs/methods.md), so the header and the notice say so."""
    from evaltools.publish.tables import SATISFIED_SHARED, SATISFIED_WHOLE, satisfaction_table

    sat = satisfaction_table(sample_board)  # the sample's cards answer several items
    assert SATISFIED_SHARED in sat.columns and SATISFIED_WHOLE not in sat.columns
    assert not (sat[SATISFIED_SHARED] % 1 == 0).all()
    page = publish.render_html(sample_board, charts=False)
    assert "一位居民答多题时按其中" in page and "2/3 人" in page
    # one answer per resident: whole people, and the notice's plain definition
    ds = sample_board.dataset
    one = ds.ratings.unique("respondent_id", keep="first", maintain_order=True)
    lb = evaluate(dataclasses.replace(ds, ratings=one))
    sat = satisfaction_table(lb)
    assert SATISFIED_WHOLE in sat.columns and (sat[SATISFIED_WHOLE] % 1 == 0).all()
    page = publish.render_html(lb, charts=False)
    assert "满意率 = 满意+基本满意 的评价 / 有效评价数" in page and "2/3 人" not in page
