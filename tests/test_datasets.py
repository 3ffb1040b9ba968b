"""The generated sample: determinism, the newsletter's figures, planted irregularities, size."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path

import chinese_calendar
import numpy as np
import polars as pl
import pytest

from evaltools.datasets import (
    CRITERIA,
    EXAMPLES_DIR,
    PLANTED,
    SAMPLE_DIR,
    SAMPLE_FACTS,
    make_sample,
)
from evaltools.rubric import read_rubric


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return make_sample()


def _digest(folder: Path) -> dict[str, str]:  # files in subfolders too (photos/)
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path):
    make_sample(out=tmp_path / "a" / "sample")
    make_sample(out=tmp_path / "b" / "sample")
    for sub in ("sample", "examples"):
        a, b = _digest(tmp_path / "a" / sub), _digest(tmp_path / "b" / sub)
        assert a == b and len(a) >= 3
    other = make_sample(seed=7)
    assert not other["scores"].equals(make_sample()["scores"])


def test_committed_sample_is_the_generated_one(tmp_path):
    make_sample(out=tmp_path / "sample")
    assert _digest(tmp_path / "sample") == _digest(SAMPLE_DIR)
    assert _digest(tmp_path / "examples") == _digest(EXAMPLES_DIR)


def test_committed_size_under_5_mb():
    total = sum(p.stat().st_size for d in (SAMPLE_DIR, EXAMPLES_DIR) for p in d.rglob("*")
                if p.is_file())
    assert total < 5 * 1024 * 1024


def test_units_and_names(tables):
    u = tables["units"]
    assert 55 <= u.height <= 65 and u["unit_id"].n_unique() == u.height
    assert set(u["street"]) == {"济源路街道", "新安路街道"}
    names = set(u["name"])
    for must in ("三湾街18号楼", "九冶院", "建行家属院", "农信家属院", "06小区1号楼"):
        assert must in names
    assert any(n.startswith("四方小区") for n in names)
    assert u.filter(pl.col("name").str.starts_with("06小区")).height >= 10
    assert u["managed"].mean() < 0.3  # most are 无主管楼院
    assert u.filter(pl.col("street") == "新安路街道")["courtyard"].n_unique() == 13


def _with_street(tables) -> pl.DataFrame:
    return tables["tickets"].join(tables["units"].select("unit_id", "street"), on="unit_id")


def test_ticket_totals_match_the_newsletter(tables):
    t = _with_street(tables)
    got = {s: (d.height, (d["status"] == "已办结").sum(), (d["status"] == "正在解决").sum())
           for (s,), d in t.group_by("street")}
    assert got == {"新安路街道": (5231, 4792, 439), "济源路街道": (1500, 1478, 22)}
    assert round(4792 / 5231 * 100, 1) == 91.6
    assert t["ticket_id"].n_unique() == t.height
    assert t["category"].n_unique() == SAMPLE_FACTS["tickets"]["categories"]
    assert t["received_at"].min() >= dt.datetime(2020, 1, 2)
    assert t["received_at"].max() < dt.datetime(2020, 11, 1)
    # closed tickets have a resolution time, open ones none; stages are in order
    assert t.filter((pl.col("status") == "已办结") & pl.col("resolved_at").is_null()).height == 0
    assert t.filter((pl.col("status") == "正在解决") & pl.col("resolved_at").is_not_null()).height == 0
    stages = ["received_at", "dispatched_at", "accepted_at", "responded_at", "resolved_at"]
    for a, b in [*itertools.pairwise(stages), ("received_at", "responded_at")]:
        assert t.filter(pl.col(b) < pl.col(a)).height == 0, (a, b)


def test_xinan_feedback_within_two_working_days(tables):
    """Checked with an independent day-by-day count on chinese_calendar (receipt day not counted)."""
    t = _with_street(tables).filter(pl.col("street") == "新安路街道")
    pairs = t.select(pl.col("received_at").dt.date().alias("r"),
                     pl.col("responded_at").dt.date().alias("s")).unique()
    worst = 0
    for r, s in pairs.iter_rows():  # reference implementation: plain day loop
        n = sum(chinese_calendar.is_workday(r + dt.timedelta(days=i))
                for i in range(1, (s - r).days + 1))
        worst = max(worst, n)
    assert worst == 2
    assert t["responded_at"].null_count() == 0


def test_review_card_counts_are_very_unequal(tables):
    cards = tables["ratings"].group_by("unit_id").agg(pl.col("respondent_id").n_unique())
    c = cards["respondent_id"]
    assert cards.height == tables["units"].height
    assert c.min() == 3 and c.max() >= 200
    assert (c <= 10).sum() >= 5
    assert set(tables["ratings"]["rating"]) == {"满意", "基本满意", "不太满意", "不满意"}
    assert tables["ratings"].select(pl.struct("respondent_id", "item").is_unique().all()).item()


def test_scores_cover_panels_rounds_and_improve(tables):
    s = tables["scores"].join(tables["units"].select("unit_id", "street"), on="unit_id")
    assert s.select(pl.struct("round", "unit_id", "judge_id", "criterion").is_unique().all()).item()
    panel = s.group_by("street").agg(pl.col("judge_id").n_unique())["judge_id"]
    assert panel.min() >= 5 and panel.max() <= 7
    assert sorted(s["round"].unique()) == [1, 2, 3, 4, 5, 6]
    maxp = pl.DataFrame({"criterion": [c[0] for c in CRITERIA],
                         "max_points": [float(c[3]) for c in CRITERIA]})
    s = s.join(maxp, on="criterion")
    assert s.filter((pl.col("score") < 0) | (pl.col("score") > pl.col("max_points"))).height == 0
    mean = s.group_by("round").agg(pl.col("score").mean()).sort("round")["score"].to_numpy()
    assert np.all(np.diff(mean) > 0)  # plausible improvement round by round


def test_judge_leniency_is_visible_in_scores(tables):
    s = tables["scores"].join(tables["judges"].select("judge_id", "leniency"), on="judge_id")
    per_judge = s.group_by("judge_id").agg(pl.col("score").mean(), pl.col("leniency").first())
    r = np.corrcoef(per_judge["score"], per_judge["leniency"])[0, 1]
    assert r > 0.5


def test_deductions_match_the_rubric(tables):
    rubric = read_rubric(SAMPLE_DIR / "rubric.toml")
    known = ({d.item for d in rubric.deductions} | {b.item for b in rubric.bonuses}
             | {v.item for v in rubric.vetoes})
    d = tables["deductions"]
    assert set(d["item"]) <= known
    veto = d.filter(pl.col("item") == "违章搭建")
    assert veto.height == 1 and veto["round"][0] == PLANTED["veto"]["round"]
    assert (d["count"] > 0).all()


def test_sample_rubric_reads_cleanly():
    r = read_rubric(SAMPLE_DIR / "rubric.toml")
    assert sum(c.max_points for c in r.criteria) == r.total_points == 100
    assert {c.source for c in r.criteria} == {"judges", "ratings"}
    assert r.criterion("satisfaction").aggregate == "satisfaction_rate"
    w = read_rubric(EXAMPLES_DIR / "rubric_wjx.toml")
    assert w.wjx is not None and w.wjx.unit_question == "1、您居住的楼栋"


def test_campaign_totals_and_planted_irregularities(tables):
    v, e = tables["votes"], tables["entries"]
    assert v.height == SAMPLE_FACTS["campaign"]["votes"] == 1968
    assert sorted(e["round"].unique()) == [1, 2, 3, 4, 5, 6]
    assert set(e["category"]) == {"最美楼栋", "最美庭院", "最美楼道"}
    assert set(v["entry_id"]) <= set(e["entry_id"])
    per_round = v.group_by("round").len().sort("round")["len"].to_list()
    assert per_round == sorted(per_round)  # participation grows
    for b in PLANTED["bursts"]:
        burst = v.filter((pl.col("round") == b["round"]) & (pl.col("entry_id") == b["entry_id"])
                         & pl.col("device").is_in(b["devices"]))
        assert burst.height == b["votes"]
        span = (burst["voted_at"].max() - burst["voted_at"].min()).total_seconds()
        assert span < 10 * 60
    h = PLANTED["honest_shared_ip"]
    shared = v.filter(pl.col("ip") == h["ip"])
    assert shared.height == h["votes"] and shared["device"].n_unique() == h["votes"]
    assert (shared["voted_at"].max() - shared["voted_at"].min()).total_seconds() > 6 * 3600
    dups = v.group_by("round", "entry_id", "voter_id").len().filter(pl.col("len") > 1)
    assert sorted(dups["entry_id"]) == sorted(e for e, _ in PLANTED["duplicates"])


def test_examples_are_in_real_formats():
    raw = (EXAMPLES_DIR / "wjx_export_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    wjx = pl.read_csv(raw, encoding="gb18030", infer_schema=False)
    assert wjx.columns[:6] == ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
    assert wjx["提交答卷时间"].str.contains(r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$").all()
    flat = wjx.select(pl.all().str.join("|")).row(0)
    assert any("┋" in c for c in flat) and any("-3" in c for c in flat) and any(
        "-2" in c for c in flat)
    wide = pl.read_excel(EXAMPLES_DIR / "scores_wide.xlsx")
    assert wide.columns == ["轮次", "楼栋编号", "评委", *[c[1] for c in CRITERIA]]


def test_sample_files_use_both_header_styles():
    assert (SAMPLE_DIR / "scores.csv").read_text(encoding="utf-8").startswith(
        "轮次,楼栋编号,评委,指标,得分\n")
    assert (SAMPLE_DIR / "units.csv").read_text(encoding="utf-8").startswith("unit_id,name,")
    assert (SAMPLE_DIR / "tickets.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel


def test_load_sample_reads_cleanly():
    from evaltools.datasets import load_sample

    ds = load_sample()
    assert "0 problem(s)" in repr(ds)
    assert ds.rubric.name == "上街区无主管楼院楼栋评比赛"


def test_examples_read_through_the_io_readers():
    from evaltools import io

    rubric = read_rubric(EXAMPLES_DIR / "rubric_wjx.toml")
    ratings, report = io.read_wjx(EXAMPLES_DIR / "wjx_export_gbk.csv", rubric=rubric)
    assert report.ok and ratings["respondent_id"].n_unique() == 48
    assert not ratings["rating"].is_in(["-2", "-3"]).any()  # skipped / not shown are missing
    scores, report = io.read_scores(EXAMPLES_DIR / "scores_wide.xlsx", rubric=rubric)
    assert report.ok and set(scores["criterion"]) == {c[0] for c in CRITERIA}
