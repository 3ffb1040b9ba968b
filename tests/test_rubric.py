"""Rubric loader: the bad-rubric corpus (rule, key path, line), aliases, defaults, round trips."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evaltools
from evaltools.errors import RubricError
from evaltools.rubric import (
    CAMPAIGN_MEASURES,
    TICKET_MEASURES,
    Criterion,
    GradeBand,
    RatingsConfig,
    Rubric,
    StarRule,
    parse_rubric,
    read_rubric,
    write_rubric,
)

CORPUS = Path(__file__).parent / "rubrics"

# file → (rule, key path, TOML line) of the problem the file was written to show
EXPECTED = {
    "syntax_error.toml": ("toml_syntax", None, 7),
    "unknown_key.toml": ("unknown_key", "criteria[2].max_point", 13),
    "wrong_type.toml": ("wrong_type", "criteria[1].weight", 8),
    "negative_weight.toml": ("negative_weight", "criteria[2].weight", 13),
    "zero_weights.toml": ("zero_weights", "criteria", 8),
    "missing_max_points.toml": ("missing_max_points", "criteria[2].max_points", 12),
    "missing_weight.toml": ("missing_weight", "criteria[2].weight", 11),
    "duplicate_id.toml": ("duplicate_id", "criteria[2].id", 11),
    "bad_source.toml": ("bad_choice", "criteria[1].source", 8),
    "bad_direction.toml": ("bad_choice", "criteria[1].direction", 9),
    "bad_method.toml": ("bad_choice", "competition.method", 3),
    "bad_aggregate.toml": ("bad_choice", "criteria[1].aggregate", 8),
    "bad_ties.toml": ("bad_choice", "ranking.ties", 6),
    "unknown_deduction_criterion.toml": ("unknown_criterion", "deductions[1].criterion", 18),
    "unknown_star_criterion.toml": ("unknown_criterion", "stars[1].criterion", 12),
    "unknown_tie_breaker.toml": ("unknown_criterion", "ranking.tie_breakers", 7),
    "grades_not_decreasing.toml": ("grade_order", "grades[2].min", 16),
    "duplicate_grade.toml": ("duplicate_grade", "grades[2].name", 15),
    "veto_unknown_grade.toml": ("unknown_grade", "vetoes[1].grade", 21),
    "bad_scale.toml": ("bad_scale", "criteria[1].scale", 9),
    "points_total.toml": ("points_total", "competition.total_points", 3),
    "units_without_column.toml": ("missing_column", "criteria[1].column", 9),
    "satisfied_unknown_label.toml": ("unknown_label", "ratings.satisfied", 7),
    "missing_name.toml": ("missing_key", "competition.name", 1),
    "infinite_scale.toml": ("not_finite", "criteria[1].scale", 9),
    "nan_weight.toml": ("not_finite", "criteria[1].weight", 8),
    "infinite_deduction_points.toml": ("not_finite", "deductions[1].points", 12),
}


def test_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.toml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_rubric_reports_rule_path_and_line(name):
    rule, column, line = EXPECTED[name]
    with pytest.raises(RubricError) as info:
        read_rubric(CORPUS / name)
    first = info.value.problems[0]
    assert (first.rule, first.column, first.row) == (rule, column, line)
    assert first.file == name
    for p in info.value.problems:  # every problem is bilingual and says what to do
        assert p.zh and p.en and p.fix_zh and p.fix_en


def test_suggestions_and_allowed_values_are_in_the_message():
    with pytest.raises(RubricError) as info:
        read_rubric(CORPUS / "bad_method.toml")
    (p,) = info.value.problems  # an unknown method does not cause knock-on problems
    assert "topsis" in p.fix_en and "weighted_sum" in p.fix_en and "did you mean" in p.fix_en
    with pytest.raises(RubricError) as info:
        read_rubric(CORPUS / "unknown_key.toml")
    assert "max_points" in info.value.problems[0].fix_en


def test_all_problems_are_collected_at_once():
    text = """
[competition]
name = "x"
method = "weighted_sum"
colour = "red"

[[criteria]]
id = "a"
name = "甲"
weight = -1
direction = "up"

[[criteria]]
id = "a"
name = "乙"
weight = 1
scale = [5, 5]

[[deductions]]
item = "楼道堆物"
points = 1
criterion = "zz"
"""
    with pytest.raises(RubricError) as info:
        parse_rubric(text, source="r.toml")
    got = {(p.rule, p.column, p.row) for p in info.value.problems}
    assert got == {
        ("unknown_key", "competition.colour", 5),
        ("negative_weight", "criteria[1].weight", 10),
        ("bad_choice", "criteria[1].direction", 11),
        ("duplicate_id", "criteria[2].id", 14),
        ("bad_scale", "criteria[2].scale", 17),
        ("unknown_criterion", "deductions[1].criterion", 22),
    }


def test_aliases_are_normalised_once():
    r = parse_rubric("""
[competition]
name = "x"
unit = "楼院"
method = "SAW"
[ranking]
ties = "并列"
[rounding]
mode = "四舍五入"
[judges]
aggregate = "去掉一个最高分和一个最低分"
[[criteria]]
id = "a"
name = "甲"
weight = 1
direction = "越小越好"
[[criteria]]
id = "b"
name = "乙"
weight = 2
direction = "benefit"
[[criteria]]
id = "c"
name = "丙"
weight = 2
direction = "-"
""")
    assert (r.unit, r.method, r.ties, r.rounding, r.judge_aggregate) == (
        "courtyard", "weighted_sum", "min", "half_up", "trimmed_mean")
    assert [c.direction for c in r.criteria] == ["min", "max", "min"]


def test_defaults_and_weight_from_max_points():
    r = parse_rubric({"competition": {"name": "x"},
                      "criteria": [{"id": "a", "name": "甲", "max_points": 60},
                                   {"id": "b", "name": "乙", "max_points": 40, "weight": 0.5}]})
    assert r.method == "points" and r.total_points == 100.0 and r.ties == "min"
    assert r.digits == 2 and r.rounding == "half_up" and r.missing == "error"
    assert [c.weight for c in r.criteria] == [60.0, 0.5]
    assert r.sha256 is None  # parsed from a dict: there are no file bytes


def test_bonuses_may_fill_the_total():
    base = {"competition": {"name": "x", "total_points": 100},
            "criteria": [{"id": "a", "name": "甲", "max_points": 95}]}
    with pytest.raises(RubricError):
        parse_rubric(base)
    r = parse_rubric({**base, "bonuses": [{"item": "志愿服务", "points": 1, "cap": 5}]})
    assert r.bonuses[0].cap == 5.0


def test_sha256_is_of_the_file_bytes(tmp_path):
    text = '[competition]\nname = "x"\ntotal_points = 5\n[[criteria]]\nid = "a"\nname = "甲"\nmax_points = 5\n'
    p = tmp_path / "rubric.toml"
    p.write_bytes(text.encode("utf-8"))
    r = read_rubric(p)
    assert r.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert r.source_path == str(p)
    assert evaltools.read_rubric is read_rubric


def test_gbk_rubric_and_missing_file(tmp_path):
    p = tmp_path / "rubric.toml"
    p.write_bytes('[competition]\nname = "楼栋评比"\ntotal_points = 5\n[[criteria]]\nid = "a"\n'
                  'name = "环境卫生"\nmax_points = 5\n'.encode("gbk"))
    assert read_rubric(p).criteria[0].name == "环境卫生"
    with pytest.raises(RubricError) as info:
        read_rubric(tmp_path / "nope.toml")
    assert info.value.problems[0].rule == "file_not_found"


def test_ticket_and_campaign_criteria_need_a_measure():
    with pytest.raises(RubricError) as info:
        parse_rubric({"competition": {"name": "x", "method": "weighted_sum"},
                      "criteria": [{"id": "fb", "name": "反馈率", "source": "tickets", "weight": 1},
                                   {"id": "v", "name": "投票", "source": "campaign",
                                    "measure": "likes", "weight": 1}]})
    assert [(p.rule, p.column) for p in info.value.problems] == [
        ("missing_measure", "criteria[1].measure"), ("bad_choice", "criteria[2].measure")]


# ------------------------------------------------------------------------------------------
# round trip: read(write(r)) == r for random valid rubrics
# ------------------------------------------------------------------------------------------
zh = st.text(alphabet="楼道整洁环境卫生绿化美化公共设施安全管理满意度甲乙丙丁", min_size=1, max_size=6)
num = st.floats(min_value=0.5, max_value=50, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def rubrics(draw) -> dict:
    n = draw(st.integers(1, 6))
    ids = [f"c{i}" for i in range(n)]
    method = draw(st.sampled_from(["points", "weighted_sum", "weighted_product", "topsis",
                                   "vikor"]))
    criteria = []
    for cid in ids:
        source = draw(st.sampled_from(["judges", "ratings", "tickets", "campaign", "units"]))
        c = {"id": cid, "name": draw(zh), "source": source, "max_points": draw(num),
             "direction": draw(st.sampled_from(["max", "min", "越大越好", "cost"]))}
        if draw(st.booleans()):
            c["weight"] = draw(num)
        if draw(st.booleans()):
            c["group"] = draw(zh)
        if source == "judges":
            c["aggregate"] = draw(st.sampled_from(["mean", "median", "trimmed_mean", "zscore"]))
            if draw(st.booleans()):
                lo = draw(st.integers(0, 5))
                c["scale"] = [lo, lo + draw(st.integers(1, 20))]
        elif source == "ratings":
            c["aggregate"] = draw(st.sampled_from(["satisfaction_rate", "bayesian_average"]))
            c["items"] = draw(st.lists(st.sampled_from(["卫生", "楼道", "绿化"]), unique=True))
        elif source == "tickets":
            c["measure"] = draw(st.sampled_from(TICKET_MEASURES))
        elif source == "campaign":
            c["measure"] = draw(st.sampled_from(CAMPAIGN_MEASURES))
        else:
            c["column"] = "households"
        criteria.append(c)
    total = sum(c["max_points"] for c in criteria)
    n_grades = draw(st.integers(0, 3))
    grades = [{"name": g, "min": m} for g, m in
              zip(["优秀", "良好", "合格"][:n_grades], sorted(draw(st.lists(
                  st.integers(0, 100), min_size=n_grades, max_size=n_grades, unique=True)),
                  reverse=True), strict=True)]
    data = {
        "competition": {"name": draw(zh), "method": method, "total_points": total,
                        "unit": draw(st.sampled_from(["building", "courtyard"])),
                        "notice_days": draw(st.integers(0, 14))},
        "ranking": {"ties": draw(st.sampled_from(["min", "dense", "ordinal", "average"])),
                    "tie_breakers": draw(st.lists(st.sampled_from([*ids, "total"]),
                                                  unique=True, max_size=2))},
        "rounding": {"digits": draw(st.integers(0, 4)),
                     "mode": draw(st.sampled_from(["half_up", "half_even"]))},
        "criteria": criteria,
        "deductions": [{"item": f"问题{i}", "points": draw(num),
                        "criterion": draw(st.sampled_from(ids))}
                       for i in range(draw(st.integers(0, 3)))],
        "grades": grades,
    }
    if grades and draw(st.booleans()):
        data["vetoes"] = [{"item": "违章搭建", "action": "grade", "grade": grades[-1]["name"]}]
    if draw(st.booleans()):
        data["stars"] = [{"name": "星", "criterion": ids[0], "min_share": 0.9},
                         {"name": "总分星", "min_total": 80}]
    if draw(st.booleans()):
        data["wjx"] = {"unit_question": "1、您居住的楼栋", "items": {"2、楼道卫生": "楼道"}}
    return data


@settings(max_examples=60, deadline=None)
@given(rubrics())
def test_write_then_read_round_trips(tmp_path_factory, data):
    r = parse_rubric(data)
    p = write_rubric(r, tmp_path_factory.mktemp("rt") / "rubric.toml")
    back = read_rubric(p)
    assert back.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert replace(back, source_path=None, sha256=None) == replace(r, source_path=None,
                                                                     sha256=None)
    assert isinstance(back, Rubric)


def test_normalizations_are_the_engines():
    from evaltools.mcda import NORMALIZATIONS
    from evaltools.rubric import NORMALIZATION_ALIASES

    assert set(NORMALIZATION_ALIASES.values()) == set(NORMALIZATIONS)


def test_aggregates_are_the_engines():
    from evaltools.rubric import (
        FALLBACK_ALIASES,
        JUDGE_AGGREGATE_ALIASES,
        RATINGS_AGGREGATE_ALIASES,
    )
    from evaltools.scoring import JUDGE_RULES, RATING_RULES

    assert set(JUDGE_AGGREGATE_ALIASES.values()) == set(JUDGE_RULES)
    assert set(RATINGS_AGGREGATE_ALIASES.values()) == set(RATING_RULES)
    assert set(FALLBACK_ALIASES.values()) == {"mean", "median"}
    with pytest.raises(RubricError) as info:
        parse_rubric({"competition": {"name": "x", "total_points": 1},
                      "judges": {"fallback": "zscore"},
                      "criteria": [{"id": "a", "name": "甲", "max_points": 1}]})
    assert info.value.problems[0].column == "judges.fallback"


@pytest.mark.parametrize("key, value", [("max_points", float("inf")), ("max_points", float("nan")),
                                        ("weight", float("-inf")), ("scale", [0, float("inf")]),
                                        ("scale", [float("nan"), 10])])
def test_non_finite_numbers_are_rubric_errors_naming_the_key(key, value):
    crit = {"id": "a", "name": "甲", "max_points": 10, key: value}
    with pytest.raises(RubricError) as info:
        parse_rubric({"competition": {"name": "x", "total_points": 10}, "criteria": [crit]})
    (p,) = [p for p in info.value.problems if p.rule == "not_finite"]
    assert p.column == f"criteria[1].{key}" and key in p.zh and key in p.en


def test_rubric_records_compare_hash_and_print_by_their_fields():
    """Their repr, == and hash come from evaltools.records.Record, not generated per class."""
    a = Criterion("clean", "环境卫生", weight=2.0)
    assert a == Criterion("clean", "环境卫生", weight=2.0) and hash(a) == hash(
        Criterion("clean", "环境卫生", weight=2.0))
    assert a != Criterion("clean", "环境卫生", weight=3.0)
    assert GradeBand("优秀", 90) != StarRule("优秀")  # another class is never equal
    assert repr(GradeBand("优秀", 90.0)) == "GradeBand(name='优秀', min=90.0)"
    assert {a: 1}[Criterion("clean", "环境卫生", weight=2.0)] == 1
    with pytest.raises(TypeError, match="unhashable"):  # a dict inside, as before
        hash(RatingsConfig())
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.weight = 1.0  # type: ignore[misc]


def test_import_does_not_load_the_toml_reader_or_writer():
    """Both load when a rubric is read or written, not on ``import evaltools`` (issue 17)."""
    code = ("import sys, evaltools\nprint('tomli_w' in sys.modules, 'tomllib' in sys.modules)\n"
            "try:\n    evaltools.parse_rubric('[competition]')\n"
            "except evaltools.RubricError:\n    pass\n"
            "print('tomllib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False", "True"]
