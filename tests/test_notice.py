"""The 公示 as a government notice (issue 16): the Chinese label layer, notice conventions, publication
guards, the 晒最美 recount, stars, per-building detail, the PDF. Browser checks (phone width,
screenshots) are in test_notice_browser.py."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from evaltools import campaign, evaluate, labels, publish, read_dataset
from evaltools.errors import EvalToolsError
from evaltools.publish import notice
from evaltools.rubric import (
    BonusRule,
    Criterion,
    GradeBand,
    Rubric,
    StarRule,
    parse_rubric,
    rubric_warnings,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FIXED = datetime(2024, 5, 1, 9, 30, tzinfo=publish.CHINA_TZ)
ENGLISH = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def sample_board():
    return evaluate(read_dataset(SAMPLE))


@pytest.fixture(scope="module")
def sample_page(sample_board):
    return publish.render_html(sample_board, generated=FIXED)


def raw_board(*, ties: str = "average"):
    """A dataset as a raw import gives it: criterion ids that are English words, no groups, one
    round, no contact details in the rubric, average ties (two units tie)."""
    rubric = Rubric(
        name="金华社区最美楼院评选", period="2024年5月", organiser="金华社区居委会", ties=ties,
        criteria=(Criterion("cleanliness", "环境卫生", max_points=50, scale=(0, 10)),
                  Criterion("stairs", "楼道整洁", max_points=30, scale=(0, 10)),
                  Criterion("greenery", "绿化美化", max_points=20, scale=(0, 10))),
        judge_aggregate="trimmed_mean", notice_days=5,
        grades=(GradeBand("优秀", 90), GradeBand("合格", 60)),
        stars=(StarRule("卫生星", criterion="cleanliness", min_share=0.9),
               StarRule("绿化星", criterion="greenery", min_share=0.9)))
    ids = [f"L{i:02d}" for i in range(1, 7)]
    units = pl.DataFrame({"unit_id": ids, "name": [f"金华{i}号院" for i in range(1, 7)],
                          "street": ["新安路街道"] * 6,
                          "community": ["金华社区"] * 3 + ["通航社区"] * 3})
    base = {"L01": 9.5, "L02": 8.0, "L03": 8.0, "L04": 7.0, "L05": 6.0, "L06": 9.0}
    rows = []
    for u in ids:
        for c in ("cleanliness", "stairs", "greenery"):
            for k, j in enumerate(("J1", "J2", "J3", "J4")):
                rows.append((1, u, j, c, base[u] + (0.5 if k == 0 else 0.0)
                             - (0.5 if k == 3 else 0.0)))
    scores = pl.DataFrame(rows, schema=["round", "unit_id", "judge_id", "criterion", "score"],
                          orient="row")
    ds = SimpleNamespace(scores=scores, units=units, ratings=None, deductions=None,
                         rubric=rubric, path=None)
    return evaluate(ds)


# ---------------------------------------------------------------------------------------------
# the label layer


def test_labels_known_answers():
    r = read_dataset(SAMPLE).rubric
    assert labels.method_zh("points") == "百分制计分"
    assert labels.ties_zh("min", ["satisfaction", "sanitation"], r) == \
        "并列取最小名次（1224），得分相同时依次比较：群众满意度、环境卫生"
    assert labels.criterion_name(r, "stairwell") == "楼道整洁"
    assert labels.criterion_name(r, "total") == "总分"
    assert labels.points_text(76.3526) == "76.35" and labels.points_text(45.0) == "45"
    assert labels.points_text(2.675) == "2.68"  # 四舍五入, not half-to-even
    assert labels.stars_text(0) == labels.stars_text(None) == "—" and labels.stars_text(2) == "★★"
    assert labels.star_rule_zh(r.stars[0], r) == "卫生星：环境卫生得分率达到 90%"
    assert pl.DataFrame({"b": [True, False, None]}).select(labels.bool_expr("b"))["b"].to_list() \
        == ["是", "否", "—"]


def test_every_code_has_a_label():
    from evaltools import mcda, ranking, scoring
    from evaltools.campaign import FLAGS

    for m in scoring.METHODS:
        assert labels.METHOD_ZH[m] and labels.METHOD_DESCRIPTION_ZH[m]
    for t in ranking.TIES:
        assert labels.TIES_ZH[t] and labels.TIES_DESCRIPTION_ZH[t]
    for n in mcda.NORMALIZATIONS:
        assert not ENGLISH.search(labels.NORMALIZATION_ZH[n]), n
    for rule in (*scoring.JUDGE_RULES, *scoring.RATING_RULES):
        assert not ENGLISH.search(labels.RULE_ZH[rule]), rule
    for f in FLAGS:
        assert labels.FLAG_ZH[f]
    assert scoring.RULE_ZH is labels.RULE_ZH and campaign.FLAG_ZH is labels.FLAG_ZH


def test_explain_and_notes_name_criteria_not_ids(sample_board):
    ids = sample_board.rubric.criterion_ids
    ex = sample_board.explain(sample_board.table["unit_id"][0])
    text = " ".join(ex["项目"].to_list() + ex["说明"].drop_nulls().to_list())
    assert not any(i in text for i in ids), text
    assert "环境卫生" in text
    chinese_notes = " ".join(n.split(" | ")[0] for n in sample_board.notes)
    assert not ENGLISH.search(chinese_notes), chinese_notes


def test_cli_prints_a_chinese_table(capsys, tmp_path, monkeypatch):
    from evaltools.cli import main

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    assert main(["publish", str(SAMPLE), "--out", str(tmp_path / "b"), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Leaderboard(" not in out and "排名" in out and "百分制计分" in out
    assert main(["evaluate", str(SAMPLE), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert " points " not in out and "★" in out and "百分制计分" in out


# ---------------------------------------------------------------------------------------------
# notice conventions


def test_notice_title_opening_period_objections_signature(sample_board, sample_page):
    assert '<h1 id="title">关于上街区无主管楼院楼栋评比赛第6轮结果的公示</h1>' in sample_page
    assert '<p id="document-number">上街办〔2020〕12号</p>' in sample_page
    opening = notice.opening_text(sample_board)
    for part in ("上街区委办公室", "2020年5月—10月", "60 个楼栋", "13 位评委", "群众点评卡",
                 "百分制计分", "予以公示"):
        assert part in opening, part
    for part in ("公示期 7 天（2024年05月01日 至 2024年05月07日）", "受理地址：上街区中心路",
                 "联系电话：0371-12345678", "电子邮箱：pingbi@example.cn",
                 "监督电话：0371-12345679", '<p class="issuer">上街区委办公室</p>',
                 '<p class="date">2024年5月1日</p>', '<div class="stamp"'):
        assert part in sample_page, part
    # the 落款 comes after the objections, the charts after the 落款
    assert sample_page.index("监督电话") < sample_page.index('id="signature"') \
        < sample_page.index('id="charts"')


def test_one_off_competition_titled_by_period():
    lb = raw_board()
    assert notice.notice_title(lb) == "关于金华社区最美楼院评选（2024年5月）结果的公示"
    # a name that already says its period is not followed by it again (evaltools init names a
    # competition after its sheet's title: 2021年第三季度楼栋评比)
    named = lb._replace(rubric=dataclasses.replace(lb.rubric, name="2024年5月最美楼院评选"))
    # (a rubric changed in code is a draft: the title says so)
    assert notice.notice_title(named) == "关于2024年5月最美楼院评选结果的公示（草稿）"


def test_publish_keys_validated_and_round_trip(tmp_path):
    from evaltools.rubric import read_rubric, write_rubric

    base = {"competition": {"name": "x", "total_points": 10},
            "criteria": [{"id": "a", "name": "甲", "max_points": 10}]}
    r = parse_rubric({**base, "publish": {"notice_start": date(2024, 5, 6), "phone": "0371-1234567",
                                          "email": "a@b.cn", "summary_top": 5, "stamp": False}})
    assert r.notice.notice_start == date(2024, 5, 6) and r.notice.summary_top == 5
    assert not r.notice.stamp
    back = read_rubric(write_rubric(r, tmp_path / "r.toml"))
    assert back.notice == r.notice
    with pytest.raises(EvalToolsError) as err:
        parse_rubric({**base, "publish": {"phone": "打电话", "email": "no-at-sign",
                                          "notice_start": "明天", "summary_top": -1}})
    rules = sorted(p.rule for p in err.value.problems)
    assert rules == ["bad_date", "bad_email", "bad_phone", "negative"]


def test_missing_contacts_are_warnings(tmp_path, capsys):
    from evaltools.cli import main

    r = parse_rubric({"competition": {"name": "x", "total_points": 10},
                      "criteria": [{"id": "a", "name": "甲", "max_points": 10}]})
    cols = [p.column for p in rubric_warnings(r)]
    assert cols == ["competition.notice_days", "publish.issuer", "publish.address",
                    "publish.phone", "publish.email", "publish.supervision_phone"]
    assert rubric_warnings(read_dataset(SAMPLE).rubric) == []
    text = (SAMPLE / "rubric.toml").read_text(encoding="utf-8")
    (tmp_path / "r.toml").write_text(re.sub(r'\nsupervision_phone = "[^"]*"', "", text),
                                     encoding="utf-8")
    assert main(["validate", str(SAMPLE), "--rubric", str(tmp_path / "r.toml")]) == 0
    out = capsys.readouterr().out
    assert "警告 | warnings: 1" in out and "监督电话" in out


# ---------------------------------------------------------------------------------------------
# publication guards


def test_average_ties_show_the_competition_rank():
    lb = raw_board(ties="average")
    labels_ = lb.table["rank_label"].to_list()
    assert not any("." in x for x in labels_), labels_
    # L02 and L03 tie for 3rd (average 3.5): both "并列第3名", then 第5名
    t = {r["unit_id"]: r["rank_label"] for r in lb.table.iter_rows(named=True)}
    assert t["L02"] == t["L03"] == "并列第3名" and t["L04"] == "第5名"
    page = publish.render_html(lb, generated=FIXED, charts=False)
    assert not re.search(r"第\d+\.\d+名", page)
    assert "N 取并列各单位中的最小名次" in page


def test_grades_only_on_the_points_scale(sample_board):
    topsis = sample_board.with_method("topsis")
    forced = {v.grade for v in topsis.rubric.vetoes if v.grade}
    assert set(topsis.table["grade"].drop_nulls().to_list()) <= forced
    page = publish.render_html(topsis, generated=FIXED, charts=False, sections={})
    assert "本次不评定等级" in page and "优秀：90 分及以上" not in page
    assert "综合得分（0–100" in page


def test_total_above_maximum(sample_board):
    t = sample_board.table
    over = sample_board._replace(table=t.with_columns(
        total_unrounded=pl.when(pl.col("rank") == 1).then(106.0)
        .otherwise(pl.col("total_unrounded"))))
    with pytest.raises(EvalToolsError) as err:
        publish.render_html(over, generated=FIXED, charts=False, sections={})
    assert err.value.problems[0].rule == "total_above_maximum"
    assert "最高分 105 分" in str(err.value)
    bonus = sample_board._replace(table=t.with_columns(
        total_unrounded=pl.when(pl.col("rank") == 1).then(100.87)
        .otherwise(pl.col("total_unrounded"))))
    page = publish.render_html(bonus, generated=FIXED, charts=False, sections={})
    assert "加分后总分可超过满分 100 分（最高 105 分）" in page
    no_bonus = dataclass_replace(sample_board.rubric, bonuses=())
    with pytest.raises(EvalToolsError):
        notice.check_publishable(bonus._replace(rubric=no_bonus))
    assert notice.maximum_total(dataclass_replace(
        sample_board.rubric, bonuses=(BonusRule("x", 1.0, cap=3.0),))) == (100.0, 103.0)


def dataclass_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_unsaved_weights_give_a_draft(sample_board, sample_page):
    body = sample_page.split("<body>")[1]
    assert 'class="draft"' not in body and "草稿" not in body
    moved = sample_board.with_weights({"sanitation": 31.7})
    page = publish.render_html(moved, generated=FIXED, charts=False, sections={})
    assert '<main id="notice" class="draft">' in page and 'id="draft-banner"' in page
    assert "（草稿）</h1>" in page and "不是公示" in page
    assert "公示期 7 天" not in page and 'id="signature"' not in page
    assert not re.search(r"（\d+\.\d{3,}分）", page)      # maxima as the rubric writes them
    assert re.search(r"环境整治（\d+(\.\d{1,2})?分）", page)


# ---------------------------------------------------------------------------------------------
# 晒最美: the recount


def test_campaign_section_uses_the_recount(sample_board):
    sections = publish.default_sections(sample_board)
    won = sections["晒最美"]
    r2 = won.filter((pl.col("轮次") == 2) & (pl.col("类别") == "最美庭院"))
    first = r2.filter(pl.col("复核后名次") == "第1名")
    assert first["作品编号"].to_list() == ["R2-05"] and first["复核后票数"].item() == 17
    r204 = r2.filter(pl.col("作品编号") == "R2-04").row(0, named=True)
    assert (r204["原始票数"], r204["存疑票数"], r204["复核后票数"]) == (55, 45, 10)
    assert r204["复核后名次变化"] == "原第1名，复核后第3名"
    # the winners shown are the recount's winners, in every round and category
    expected = campaign.analyze_campaign(sample_board.dataset).winners(recount=True)
    shown = won.filter(pl.col("复核后名次").str.contains("第1名"))
    assert sorted(shown["作品编号"].to_list()) == sorted(expected["entry_id"].to_list())
    assert "剔除经核查标记的存疑投票" in " ".join(sections["晒最美复核规则"]["说明"].to_list())


# ---------------------------------------------------------------------------------------------
# stars and per-building detail


def test_stars_named_with_a_legend(sample_board, sample_page):
    names = notice.star_names(sample_board)
    t = sample_board.table.join(names, on="unit_id")
    counted = t.select(pl.col("star_names").str.split("、").list.eval(
        pl.element().filter(pl.element() != "")).list.len().alias("n"), "stars")
    assert counted["n"].cast(pl.Int64).to_list() == counted["stars"].to_list()
    assert "星级说明：每达到一项标准得一颗星" in sample_page
    assert "卫生星：环境卫生得分率达到 90%" in sample_page
    assert "☆" not in sample_page
    zero = t.filter(pl.col("stars") == 0)["unit_id"]
    assert zero.len() > 0
    row = re.search(rf'<tr id="{zero[0]}"[^>]*>(.*?)</tr>', sample_page).group(1)
    assert 'data-label="星级">—</td>' in row


def test_every_row_has_an_anchor_and_details(sample_board, sample_page):
    ids = sample_board.table["unit_id"].to_list()
    for uid in ids:
        m = re.search(rf'<tr id="{re.escape(uid)}" class="unit-row[^"]*" data-unit-id="{uid}">'
                      r'.*?</tr>\n<tr class="detail-row"><td colspan="\d+"><details class="detail">',
                      sample_page)
        assert m, uid
    assert sample_page.count('<details class="detail">') == len(ids)
    assert sample_page.count('<a href="#') == len(ids)  # the street/community index
    assert "<script" not in sample_page.lower()  # still no script


def _detail(page: str, uid: str) -> str:
    start = page.index(f'<tr id="{uid}"')
    return page[start:page.index("</details>", start)]


def test_details_are_the_explain_in_chinese(sample_board, sample_page):
    first = sample_board.table["unit_id"][0]
    d = _detail(sample_page, first)
    assert re.search(r"评委\d+：", d)
    for part in ("去掉一个最高分和一个最低分后平均", "去掉最高分", "最低分",
                 "扣分：僵尸车 1 处 × 1.00 分 = 1.00 分，从“安全管理”中扣除", "获得星级：卫生星",
                 "总分：97.41 分"):
        assert part in d, part
    judges = read_dataset(SAMPLE).judges
    assert not any(name in sample_page for name in judges["name"].to_list())
    assert not any(j in d for j in judges["judge_id"].to_list())


def test_rank_interval_in_details():
    lb = raw_board(ties="min")
    iv = pl.DataFrame({"unit_id": lb.table["unit_id"], "rank_lower": 1, "rank_upper": 4})
    page = publish.render_html(lb, generated=FIXED, charts=False, intervals=iv)
    assert "名次区间：第1至4名" in _detail(page, "L01")


# ---------------------------------------------------------------------------------------------
# no English outside the technical appendix


class _Text(HTMLParser):
    """Text nodes of a page, except <style>, <title> and the technical appendix."""

    SKIP = ("style", "title")

    def __init__(self) -> None:
        super().__init__()
        self.skip: list[tuple[str, int]] = []  # (tag, depth of that tag when skipping began)
        self.depth: dict[str, int] = {}
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.depth[tag] = self.depth.get(tag, 0) + 1
        if tag in self.SKIP or dict(attrs).get("id") == "appendix":
            self.skip.append((tag, self.depth[tag]))

    def handle_endtag(self, tag):
        if self.skip and self.skip[-1] == (tag, self.depth.get(tag, 0)):
            self.skip.pop()
        self.depth[tag] = self.depth.get(tag, 1) - 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data)


def english_words(page: str, allowed: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(page)
    found = []
    for text in parser.texts:
        for token in sorted(allowed, key=len, reverse=True):
            text = text.replace(token, " ")
        found += ENGLISH.findall(text)
    return found


def _dataset_ids(lb) -> set[str]:
    """Identifiers the office gave its units and entries (HQ002, R2-04): they are the data."""
    ids = set(lb.table["unit_id"].to_list())
    entries = getattr(lb.dataset, "entries", None)
    if entries is not None:
        ids |= set(entries["entry_id"].to_list())
    n = lb.rubric.notice
    return ids | {x for x in (n.email, n.url) if x}


def test_no_english_on_the_sample_page(sample_board, sample_page):
    assert english_words(sample_page, _dataset_ids(sample_board)) == []
    # the appendix does carry the ids and hashes (so the walker's exclusion is not vacuous)
    appendix = sample_page[sample_page.index('id="appendix"'):]
    assert "sanitation" in appendix and "SHA-256" in appendix


def test_no_english_on_a_raw_import_page():
    lb = raw_board()
    page = publish.render_html(lb, generated=FIXED)
    assert english_words(page, _dataset_ids(lb)) == []
    assert "cleanliness" in page  # only in the appendix
    topsis = publish.render_html(lb.with_method("topsis"), generated=FIXED)
    assert english_words(topsis, _dataset_ids(lb)) == []


def test_walker_finds_english():
    page = "<p>计分方法 points</p><section id=\"appendix\"><p>sha</p></section><p>R2-04</p>"
    assert english_words(page, set()) == ["points"]
    assert english_words("<p>HQ002 好</p>", {"HQ002"}) == []


# ---------------------------------------------------------------------------------------------
# the PDF


def _pdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(path).pages]


@pytest.mark.system
def test_pdf_reads_back(sample_board, pdf_renderer, tmp_path, monkeypatch, test_output):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    a = publish.write_pdf(sample_board, tmp_path / "a.pdf")
    b = publish.write_pdf(sample_board, tmp_path / "b.pdf")
    assert a.read_bytes() == b.read_bytes()                       # reproducible
    from pypdf import PdfReader

    meta = PdfReader(a).metadata                                  # dates from SOURCE_DATE_EPOCH
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20240501093000+08'00"
    pages = _pdf_pages(a)
    n = len(pages)
    assert 4 <= n <= 20
    for i, text in enumerate(pages, start=1):
        assert f"第 {i} 页 共 {n} 页" in text, i
    whole = "\n".join(pages)
    for part in ("关于上街区无主管楼院楼栋评比赛第6轮结果的公示", "R2-05", "复核后名次变化",
                 "监督电话", "2024年5月1日", "（盖章）", "前10名摘要"):
        assert part in whole, part
    assert "计分明细" not in whole          # screen-only detail blocks stay out of print
    # the summary is one page, the last
    assert "前10名摘要" in pages[-1] and "前10名摘要" not in pages[-2]
    _no_heading_alone(a, publish.render_html(sample_board))
    (test_output / "notice_sample.pdf").write_bytes(a.read_bytes())


def _headings(page: str) -> set[str]:
    return {re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(r"<h[123][^>]*>(.*?)</h[123]>", page)}


def _no_heading_alone(pdf: Path, page: str) -> None:
    """No printed page holds only a heading, and no page ends with one (orphan)."""
    heads = _headings(page)
    for i, text in enumerate(_pdf_pages(pdf), start=1):
        lines = [x.strip() for x in text.splitlines()
                 if x.strip() and not re.fullmatch(r"第 \d+ 页 共 \d+ 页", x.strip())]
        assert lines, f"page {i} is blank"
        assert not all(x in heads for x in lines), f"page {i} holds only a heading: {lines}"
        assert lines[-1] not in heads, f"page {i} ends with the heading {lines[-1]}"


@pytest.mark.system
def test_print_page_leaves_out_what_print_hides_and_prints_the_same(sample_board, pdf_renderer):
    """The PDF is laid out from the page without what the print stylesheet hides (issue 17:
    a third less markup for WeasyPrint); the printed bytes are those of the whole page."""
    from evaltools.publish.pdf import pdf_of_page

    full = publish.render_html(sample_board, generated=FIXED, charts=False)
    printed = publish.render_html(sample_board, generated=FIXED, charts=False, media="print")
    for hidden in ('<tr class="detail-row">', '<nav id="index"', 'class="screen-only"',
                   "<dt>主办单位</dt>"):
        assert hidden in full and hidden not in printed, hidden
    assert printed.count('class="unit-row') == full.count('class="unit-row') == 60
    assert len(printed) < 0.8 * len(full)
    assert pdf_of_page(printed, FIXED) == pdf_of_page(full, FIXED)
    with pytest.raises(ValueError, match="media"):
        publish.render_html(sample_board, media="paper")  # type: ignore[arg-type]


@pytest.mark.system
def test_pdf_of_a_raw_import_and_a_draft(pdf_renderer, tmp_path):
    lb = raw_board()
    out = publish.write_pdf(lb, tmp_path / "raw.pdf", generated=FIXED)
    pages = _pdf_pages(out)
    assert "第 1 页 共" in pages[0] and "金华1号院" in "".join(pages)
    _no_heading_alone(out, publish.render_html(lb, generated=FIXED))
    # no English in the PDF but what the technical appendix carries (ids, hashes, file names)
    page = publish.render_html(lb, generated=FIXED)
    appendix = re.sub(r"<[^>]+>", " ", page[page.index('id="appendix"'):])
    allowed = set(ENGLISH.findall(appendix)) | _dataset_ids(lb)
    found = {w for w in ENGLISH.findall("\n".join(pages)) if w not in allowed}
    assert found == set(), found
    assert "cleanliness" in "".join(pages)  # in the appendix, so the check is not vacuous
    draft = publish.write_pdf(lb.with_weights({"cleanliness": 10}), tmp_path / "d.pdf",
                              generated=FIXED)
    assert "草稿" in "".join(_pdf_pages(draft))


@pytest.mark.system
def test_publish_writes_the_pdf(sample_board, pdf_renderer, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714527000")
    files = publish.publish(sample_board, tmp_path / "out", top=3)
    assert files["pdf"].name == "榜单公示.pdf" and files["pdf"].read_bytes().startswith(b"%PDF")


FAKE_WEASYPRINT = """
import ctypes.util, importlib.abc, importlib.util, sys
real = ctypes.util.find_library
tries = []

class Fake(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # a weasyprint whose libraries only find_library finds: fails while it answers None
    def find_spec(self, name, path, target=None):
        return importlib.util.spec_from_loader(name, self) if name == "weasyprint" else None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        tries.append(ctypes.util.find_library("c"))
        if tries[-1] is None:
            raise OSError("cannot load library 'libgobject-2.0-0'")

sys.meta_path.insert(0, Fake())
from evaltools.publish.pdf import pdf_available
assert pdf_available()
assert tries[0] is None and tries[1] is not None, tries   # quick try, then the usual import
assert ctypes.util.find_library is real
print("ok")
"""


def test_weasyprint_import_skips_find_library_and_falls_back():
    """publish.pdf imports WeasyPrint with ctypes' find_library answering None (no ldconfig /
    gcc / ld subprocesses); find_library is restored, and a failed import is retried as usual."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FAKE_WEASYPRINT], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
