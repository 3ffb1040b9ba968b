"""The Chinese label layer: every id, code and enum that reaches a reader, in one place.

Codes stay English in data files and code (``points``, ``min``, ``trimmed_mean``, ``sanitation``);
whatever a resident, an office or a widget reads goes through this module: the published page,
the PDF, Excel, CSV, the command line's printed output and the notebook widgets. A code without a
label is shown as itself only by the functions that say so (``*_zh(code)`` return the code
unchanged when it is unknown, so a new code is visible rather than hidden); tests walk the
published files for English words.

A bottom layer: imports only :mod:`evaltools.errors`, :mod:`evaltools.schema` and the rubric's
types, so every module above (scoring, campaign, kpi, publish, leaderboard, cli, widgets) can use
it.

Examples
--------
>>> method_zh("points"), method_zh("topsis")
('百分制计分', '逼近理想解排序法')
>>> ties_zh("min")
'并列取最小名次（1224）'
>>> bool_zh(True), bool_zh(False), bool_zh(None)
('是', '否', '—')
>>> stars_text(0), stars_text(3)
('—', '★★★')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from evaltools.rubric import Rubric, StarRule

__all__ = [
    "AGGREGATE_CHOICES",
    "BOOL_ZH",
    "DEFAULT_CHOICE",
    "DIRECTION_ZH",
    "FLAG_ZH",
    "METHOD_CHOICES",
    "METHOD_DESCRIPTION_ZH",
    "METHOD_ZH",
    "MISSING_ZH",
    "NONE_TEXT",
    "NORMALIZATION_CHOICES",
    "NORMALIZATION_ZH",
    "ROUNDING_ZH",
    "RULE_ZH",
    "SOURCE_ZH",
    "STATUS_ZH",
    "TIES_CHOICES",
    "TIES_DESCRIPTION_ZH",
    "TIES_ZH",
    "UNIT_ZH",
    "VETO_ACTION_ZH",
    "bool_expr",
    "bool_zh",
    "breaker_names",
    "criterion_name",
    "criterion_names",
    "direction_zh",
    "flag_zh",
    "judge_label",
    "method_description",
    "method_zh",
    "normalization_zh",
    "points_text",
    "rounding_zh",
    "rule_zh",
    "scale_is_points",
    "source_zh",
    "star_rule_zh",
    "stars_expr",
    "stars_text",
    "ties_description",
    "ties_zh",
    "unit_word",
]

#: what an empty cell shows (no stars, no movement, no value): one dash, everywhere
NONE_TEXT = "—"

#: scoring methods, short names (table captions, the CLI, widgets)
METHOD_ZH: dict[str, str] = {
    "points": "百分制计分",
    "weighted_sum": "加权求和法",
    "weighted_product": "加权乘积法",
    "topsis": "逼近理想解排序法",
    "vikor": "多准则妥协排序法",
}
#: scoring methods in one plain sentence (the method section of the notice)
METHOD_DESCRIPTION_ZH: dict[str, str] = {
    "points": "百分制计分：各指标得分相加，扣分、加分后为总分",
    "weighted_sum": "加权求和法：各指标换算到同一尺度后按权重相加，综合得分乘以 100",
    "weighted_product": "加权乘积法：各指标换算到同一尺度后按权重相乘，综合得分乘以 100",
    "topsis": "逼近理想解排序法：按与最优、最差方案的距离算出贴近度（0–1），乘以 100 为综合得分",
    "vikor": "多准则妥协排序法：兼顾总体表现和最差一项的折衷值，换算为综合得分（越高越好）",
}
#: normalisations (MCDA methods)
NORMALIZATION_ZH: dict[str, str] = {
    "minmax": "极差标准化（最低为 0、最高为 1）",
    "max": "除以最大值",
    "sum": "除以总和",
    "vector": "向量标准化（除以各值平方和的平方根）",
    "zscore": "标准分（减平均值、除以标准差）",
    "target": "按目标值标准化",
}
#: how a criterion's raw values become one value per unit
RULE_ZH: dict[str, str] = {
    "mean": "平均分",
    "median": "中位数",
    "trimmed_mean": "去掉一个最高分和一个最低分后平均",
    "zscore": "评委标准分平均后还原到分值",
    "satisfaction_rate": "满意率",
    "bayesian_average": "贝叶斯平均（样本少时向总体平均收缩）",
    "wilson_lower": "满意率区间下限",
    "top2box": "前两档占比",
    "column": "参评单位表中的数值",
    # 民情速递站 and 晒最美 measures a criterion may take
    "feedback_rate": "反馈率", "closure_rate": "办结率", "on_time_closure_rate": "按时办结率",
    "immediate_share": "立即办理占比", "backlog": "未办结件数", "overdue": "超期件数",
    "median_working_days": "办理用时中位数（工作日）",
    "vote_share": "得票率", "votes": "票数", "rank": "名次", "recount_share": "复核后得票率",
}
#: tie rules, short (1224 …)
TIES_ZH: dict[str, str] = {
    "min": "并列取最小名次（1224）",
    "dense": "并列不跳号（1223）",
    "ordinal": "依次排名，不设并列（1234）",
    "average": "并列取平均名次",
}
#: tie rules in one sentence (the method section of the notice)
TIES_DESCRIPTION_ZH: dict[str, str] = {
    "min": "得分相同者并列，名次相同，其后名次顺延（如 1、2、2、4），公示为“并列第2名”",
    "dense": "得分相同者并列，其后名次不跳号（如 1、2、2、3）",
    "ordinal": "不设并列，得分相同时按顺序排名",
    "average": ("得分相同者在计算时取平均名次；公示时按惯例写作并列，名次取其中最小者"
                "（如 1、2、2、4）"),
}
ROUNDING_ZH: dict[str, str] = {"half_up": "四舍五入", "half_even": "银行家舍入（四舍六入五成双）"}
SOURCE_ZH: dict[str, str] = {"judges": "评委打分", "ratings": "群众点评", "tickets": "民情速递站",
                             "campaign": "晒最美投票", "units": "台账数据"}
DIRECTION_ZH: dict[str, str] = {"max": "越大越好", "min": "越小越好"}
UNIT_ZH: dict[str, str] = {"building": "楼栋", "courtyard": "楼院"}
MISSING_ZH: dict[str, str] = {"error": "缺失即报错", "zero": "缺失记零分", "mean": "缺失取平均"}
VETO_ACTION_ZH: dict[str, str] = {"disqualify": "取消评比资格", "grade": "等级强制定为"}
BOOL_ZH: dict[bool, str] = {True: "是", False: "否"}
#: 晒最美 vote-integrity flags
FLAG_ZH: dict[str, str] = {
    "duplicate": "重复投票",
    "burst": "短时集中投票",
    "regular_gaps": "投票间隔过于规律",
    "ip_share": "同一IP占比过高",
    "device_share": "同一设备占比过高",
    "off_hours": "非正常时段投票",
    "subsecond": "亚秒级连续提交",
}
#: 民情速递站 ticket status codes
STATUS_ZH: dict[str, str] = {"closed": "已办结", "immediate": "立即办理", "open": "办理中"}


# --------------------------------------------------------------------------------------------
# lookups (unknown codes come back unchanged, so they are seen rather than hidden)


def _get(table: Mapping[str, str], code: object) -> str:
    if code is None:
        return NONE_TEXT
    return table.get(str(code), str(code))


def method_zh(method: str) -> str:
    """Short Chinese name of a scoring method (``points`` → 百分制计分)."""
    return _get(METHOD_ZH, method)


def method_description(method: str) -> str:
    """The method in one plain Chinese sentence (the notice's method section)."""
    return _get(METHOD_DESCRIPTION_ZH, method)


def normalization_zh(normalization: str | None) -> str:
    """Chinese name of a normalisation (``vector`` → 向量标准化 …)."""
    return _get(NORMALIZATION_ZH, normalization)


def rule_zh(rule: str | None) -> str:
    """Chinese name of an aggregation rule or measure (``trimmed_mean`` → 去掉一个最高分…)."""
    return _get(RULE_ZH, rule)


def rounding_zh(mode: str) -> str:
    return _get(ROUNDING_ZH, mode)


def source_zh(source: str) -> str:
    return _get(SOURCE_ZH, source)


def direction_zh(direction: str) -> str:
    return _get(DIRECTION_ZH, direction)


def flag_zh(flag: str) -> str:
    """Chinese name of a 晒最美 integrity flag (``burst`` → 短时集中投票)."""
    return _get(FLAG_ZH, flag)


def unit_word(unit: str) -> str:
    """楼栋 or 楼院."""
    return _get(UNIT_ZH, unit)


def bool_zh(value: bool | None) -> str:
    """是 / 否 (— for a missing value)."""
    return NONE_TEXT if value is None else BOOL_ZH[bool(value)]


def bool_expr(col: str | pl.Expr) -> pl.Expr:
    """A Boolean column as 是 / 否 (— when null), as a polars expression.

    >>> pl.DataFrame({"x": [True, False, None]}).select(bool_expr("x"))["x"].to_list()
    ['是', '否', '—']
    """
    c = pl.col(col) if isinstance(col, str) else col
    return (pl.when(c).then(pl.lit(BOOL_ZH[True])).when(c.not_()).then(pl.lit(BOOL_ZH[False]))
            .otherwise(pl.lit(NONE_TEXT)).alias(c.meta.output_name()))


def ties_zh(ties: str, breakers: Iterable[str] = (), rubric: Rubric | None = None) -> str:
    """The tie rule, short, with the tie-breakers by name.

    >>> ties_zh("min", ["total"])
    '并列取最小名次（1224），得分相同时依次比较：总分'
    """
    text = _get(TIES_ZH, ties)
    names = breaker_names(breakers, rubric)
    return text + (f"，得分相同时依次比较：{'、'.join(names)}" if names else "")


def ties_description(ties: str, breakers: Iterable[str] = (), rubric: Rubric | None = None) -> str:
    """The tie rule in one sentence, with the tie-breakers by name (the notice's method)."""
    text = _get(TIES_DESCRIPTION_ZH, ties)
    names = breaker_names(breakers, rubric)
    return text + (f"；得分相同时依次比较：{'、'.join(names)}" if names else "")


def breaker_names(breakers: Iterable[str], rubric: Rubric | None = None) -> list[str]:
    """Tie-breakers by name (``total`` → 总分, a criterion id → its name)."""
    return [criterion_name(rubric, b) for b in breakers]


def criterion_names(rubric: Rubric) -> dict[str, str]:
    """criterion id → name, for ``replace_strict`` on a column of ids."""
    return {c.id: c.name for c in rubric.criteria}


def criterion_name(rubric: Rubric | None, cid: str) -> str:
    """A criterion's Chinese name from the rubric (``total`` → 总分; unknown ids unchanged).

    >>> from evaltools.rubric import Criterion, Rubric
    >>> r = Rubric(name="x", criteria=(Criterion("sanitation", "环境卫生", max_points=100),))
    >>> criterion_name(r, "sanitation"), criterion_name(r, "total")
    ('环境卫生', '总分')
    """
    if cid == "total":
        return "总分"
    if rubric is not None:
        for c in rubric.criteria:
            if c.id == cid:
                return c.name
    return cid


def judge_label(index: int) -> str:
    """Judges are shown by position, never by name: 评委1, 评委2 …"""
    return f"评委{index}"


def points_text(value: float | None, digits: int = 2) -> str:
    """A weight or maximum as the rubric writes it: at most ``digits`` decimals, no trailing
    zeros (``76.3526`` → ``76.35``, ``20.0`` → ``20``).

    >>> points_text(76.3526), points_text(20.0), points_text(0.25, 4)
    ('76.35', '20', '0.25')
    """
    if value is None:
        return NONE_TEXT
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-digits)
    text = format(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def scale_is_points(rubric: Rubric) -> bool:
    """Whether totals are on the rubric's points scale (0–``total_points``): only the ``points``
    method. Grade bands written in points apply only then; MCDA scores are on another scale."""
    return rubric.method == "points"


def star_rule_zh(star: StarRule, rubric: Rubric | None = None) -> str:
    """One star's rule in Chinese: ``卫生星：环境卫生得分率达到 90%``.

    >>> from evaltools.rubric import StarRule
    >>> star_rule_zh(StarRule("优秀星", min_total=90))
    '优秀星：总分达到 90 分'
    """
    if star.criterion is not None and star.min_share is not None:
        return (f"{star.name}：{criterion_name(rubric, star.criterion)}得分率达到 "
                f"{points_text(star.min_share * 100, 1)}%")
    if star.min_total is not None:
        return f"{star.name}：总分达到 {points_text(star.min_total)} 分"
    return star.name


def stars_text(n: int | None) -> str:
    """Stars as ★ (— for none): the same rendering in the page, Excel and the command line."""
    if n is None or n <= 0:
        return NONE_TEXT
    return "★" * int(min(n, 5))


def stars_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`stars_text` as a polars expression (★ per star, at most five; — for none or null).

    >>> pl.DataFrame({"stars": [3, 0, None, 7]}).select(stars_expr("stars"))["stars"].to_list()
    ['★★★', '—', '—', '★★★★★']
    """
    c = pl.col(col) if isinstance(col, str) else col
    k = c.fill_null(0).clip(0, 5).cast(pl.Int64)
    return (pl.when(k > 0).then(pl.lit("★★★★★").str.slice(0, k)).otherwise(pl.lit(NONE_TEXT))
            .alias(c.meta.output_name()))


# --------------------------------------------------------------------------------------------
# The explorer's and the app's dropdowns: longer wording that explains each choice
# --------------------------------------------------------------------------------------------

#: the dropdown value that means "the method's own normalisation" (None means "nothing selected")
DEFAULT_CHOICE = "default"
METHOD_CHOICES: dict[str, str] = {
    "points": "计分制（各指标满分相加）", "weighted_sum": "加权求和", "weighted_product": "加权乘积",
    "topsis": "TOPSIS（逼近理想解）", "vikor": "VIKOR（折衷排序）",
}
NORMALIZATION_CHOICES: dict[str, str] = {
    DEFAULT_CHOICE: "方法默认", "minmax": "极差标准化（min-max）", "max": "除以最大值",
    "sum": "除以总和", "vector": "向量标准化", "zscore": "标准分（z）",
}
AGGREGATE_CHOICES: dict[str, str] = {
    "trimmed_mean": "去掉一个最高分和一个最低分后平均", "mean": "平均分", "median": "中位数",
    "zscore": "评委标准分（z）平均",
}
TIES_CHOICES: dict[str, str] = {
    "min": "1224（并列占位，公示惯例）", "dense": "1223（紧密排名）",
    "ordinal": "1234（不并列）", "average": "平均名次",
}
