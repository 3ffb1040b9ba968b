"""The rubric (评分细则): what is ranked, how, and with which criteria, points and rules.
One job: the rubric file, from TOML to frozen objects and back (~1100 lines because every
rule of ``rubric.toml`` is checked here, each with its line number and a message in Chinese and
English).

A rubric is written by the user as ``rubric.toml`` (format in ``docs/rubric.md``) and read with
:func:`read_rubric`, which validates everything and raises one :class:`~evaltools.errors.RubricError`
listing every problem. The objects here are frozen: changing a weight gives a new rubric
(:meth:`Rubric.with_weights`).
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, overload

from evaltools.errors import Problem, RubricError
from evaltools.records import Record

__all__ = [
    "BonusRule",
    "Criterion",
    "DeductionRule",
    "GradeBand",
    "NoticeConfig",
    "RatingsConfig",
    "Rubric",
    "StarRule",
    "VetoRule",
    "WjxMapping",
    "format_path",
    "parse_rubric",
    "read_rubric",
    "rubric_to_dict",
    "rubric_warnings",
    "update_rubric_file",
    "write_rubric",
]

Source = Literal["judges", "ratings", "tickets", "campaign", "units"]
Direction = Literal["max", "min"]


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class Criterion(Record):
    """One criterion (二级指标) of the rubric.

    id : English identifier used in data files (``criterion`` column) and code.
    name : Chinese name shown to users (环境卫生).
    group : 一级指标 it belongs to (e.g. 环境整治), or None.
    source : where its raw value comes from: ``judges`` (the scores table), ``ratings`` (review
        cards), ``tickets`` (民情速递站 KPIs), ``campaign`` (晒最美 votes) or ``units`` (a column of
        the units table, named by ``column``).
    aggregate : how the source is reduced to one value per unit, e.g. for judges ``mean`` /
        ``median`` / ``trimmed_mean`` / ``zscore``; for ratings ``satisfaction_rate`` / ``mean`` /
        ``bayesian_average`` / ``wilson_lower`` / ``top2box``. None = the rubric's default.
    items : for ``ratings``: the survey items that feed it (empty = all items).
    measure : for ``tickets`` / ``campaign``: the KPI or vote measure (``feedback_rate``,
        ``vote_share`` …).
    column : for ``units``: the column of the units table.
    weight : relative weight (methods weighted_sum / weighted_product / topsis / vikor).
    max_points : points available (method ``points``); judges' aggregated score on ``scale`` is
        converted to ``value / scale_max * max_points``.
    direction : ``max`` (越大越好) or ``min`` (越小越好).
    scale : (low, high) inclusive range a raw judge score must lie in; None = not checked.
    """

    id: str
    name: str
    group: str | None = None
    source: Source = "judges"
    aggregate: str | None = None
    items: tuple[str, ...] = ()
    measure: str | None = None
    column: str | None = None
    weight: float | None = None
    max_points: float | None = None
    direction: Direction = "max"
    scale: tuple[float, float] | None = None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class DeductionRule(Record):
    """扣分: ``points`` per occurrence of ``item``, at most ``cap`` in all, taken from ``criterion``
    (or from the total when None); a criterion's points never go below 0."""

    item: str
    points: float
    criterion: str | None = None
    cap: float | None = None
    name: str | None = None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class BonusRule(Record):
    """加分: ``points`` per occurrence of ``item``, at most ``cap`` in all."""

    item: str
    points: float
    cap: float | None = None
    name: str | None = None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class VetoRule(Record):
    """一票否决: when ``item`` occurs, ``disqualify`` the unit or force it to ``grade``."""

    item: str
    action: Literal["disqualify", "grade"] = "disqualify"
    grade: str | None = None
    name: str | None = None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class GradeBand(Record):
    """A grade (优秀/良好/合格/不合格) given to totals ``>= min``."""

    name: str
    min: float


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class StarRule(Record):
    """One ★ when the unit meets this standard: ``criterion``'s points reach ``min_share`` of its
    maximum (or the total reaches ``min_total`` when ``criterion`` is None)."""

    name: str
    criterion: str | None = None
    min_share: float | None = None
    min_total: float | None = None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class RatingsConfig(Record):
    """How review-card answers become numbers and satisfaction rates.

    labels : label → value (满意 → 4 …); numbers in the data are taken as values directly.
    satisfied : labels counted as satisfied in 满意率 (``("满意",)`` or ``("满意", "基本满意")``).
    scale : (low, high) of numeric ratings.
    prior_weight : m of the Bayesian average.
    confidence : of the Wilson interval.
    """

    labels: dict[str, float] = field(
        default_factory=lambda: {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0}
    )
    satisfied: tuple[str, ...] = ("满意", "基本满意")
    scale: tuple[float, float] = (1.0, 4.0)
    prior_weight: float = 10.0
    confidence: float = 0.95


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class WjxMapping(Record):
    """How a 问卷星 export maps onto the ``ratings`` table.

    unit_question : header of the question that names the building (e.g. "1、您居住的楼栋").
    items : question header (with or without its "3、" number) → rating item id.
    unit_labels : answer text → unit_id, when the answers are neither ids nor names of the units
        table (names are matched without it, see :mod:`evaltools.unitnames`), or option numbers of
        a 按序号 export (``"3" = "JY003"``).
    options : the answer options of the rated questions in the questionnaire's order, for a
        按序号 (answer code) export: code 1 is ``options[0]`` … (e.g. ``["很满意", "满意", "一般",
        "不满意", "很不满意"]``).
    matrix : 矩阵题: question headers (with or without their number) whose sub-items
        (``5、您对以下方面的满意程度—楼道卫生`` or ``…(楼道卫生)``) each become an item, named by
        ``items`` when the sub-item is a key there, else by the sub-item text.
    """

    unit_question: str
    items: dict[str, str]
    unit_labels: dict[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()
    matrix: tuple[str, ...] = ()


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class NoticeConfig(Record):
    """How the 公示 notice is written (``[publish]`` in ``rubric.toml``; docs/publishing.md).

    title : the notice's title; default "关于<name><round>评比结果的公示".
    issuer : the issuing office of the 落款 (default: the competition's ``organiser``).
    document_number : 文号 shown under the title, e.g. "上街办〔2020〕12号".
    opening : the opening paragraph; default written from the data (who evaluated what, when,
        how).
    notice_start : first day of the 公示期 (default: the generation date).
    address, phone, email, supervision_phone : where and how to object (受理地址, 联系电话,
        电子邮箱, 监督电话); missing ones are validation warnings (:func:`rubric_warnings`).
    url : where the notice is published online (for links and QR codes).
    summary_top : a one-page summary of ranks 1..N for notice boards (0 = none).
    stamp : print a signature/stamp area beside the 落款.
    """

    title: str | None = None
    issuer: str | None = None
    document_number: str | None = None
    opening: str | None = None
    notice_start: date | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    supervision_phone: str | None = None
    url: str | None = None
    summary_top: int = 0
    stamp: bool = True


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class Rubric(Record):
    """A whole competition's rules, as read from ``rubric.toml``."""

    name: str
    criteria: tuple[Criterion, ...]
    unit: Literal["building", "courtyard"] = "building"
    method: str = "points"  # points | weighted_sum | weighted_product | topsis | vikor
    normalization: str | None = None  # None = the method's default
    judge_aggregate: str = "trimmed_mean"
    min_judges: int = 3
    judge_fallback: str | None = None  # aggregate used when fewer than min_judges scored
    missing: Literal["error", "zero", "mean"] = "error"
    ties: str = "min"
    tie_breakers: tuple[str, ...] = ()
    digits: int = 2
    rounding: Literal["half_up", "half_even"] = "half_up"
    deductions: tuple[DeductionRule, ...] = ()
    bonuses: tuple[BonusRule, ...] = ()
    vetoes: tuple[VetoRule, ...] = ()
    grades: tuple[GradeBand, ...] = ()
    stars: tuple[StarRule, ...] = ()
    ratings: RatingsConfig = field(default_factory=RatingsConfig)
    wjx: WjxMapping | None = None
    organiser: str | None = None
    period: str | None = None
    notice_days: int | None = None
    total_points: float = 100.0
    allow_comments: bool = False
    #: publish the judges' ids as given (often their names); default: 评委1…评委N
    judge_names: bool = False
    notice: NoticeConfig = field(default_factory=NoticeConfig)
    source_path: str | None = None
    sha256: str | None = None

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def with_weights(self, weights: dict[str, float]) -> Rubric:
        """A new rubric whose criteria carry ``weights`` (ids not named keep theirs)."""
        crit = tuple(replace(c, weight=float(weights.get(c.id, c.weight or 0.0)))
                     for c in self.criteria)
        return replace(self, criteria=crit)

    def with_method(self, method: str, normalization: str | None = None) -> Rubric:
        return replace(self, method=method, normalization=normalization)


# ---------------------------------------------------------------------------------------------
# Loading, validating and writing rubric.toml
# ---------------------------------------------------------------------------------------------

#: Aliases accepted in the file → canonical value. Normalised once, here, at the edge.
UNIT_ALIASES: dict[str, Literal["building", "courtyard"]] = {
    "building": "building", "楼栋": "building", "楼": "building",
    "courtyard": "courtyard", "楼院": "courtyard", "院落": "courtyard", "小区": "courtyard",
}
METHOD_ALIASES: dict[str, str] = {
    "points": "points", "计分": "points", "百分制": "points",
    "weighted_sum": "weighted_sum", "wsm": "weighted_sum", "saw": "weighted_sum",
    "加权求和": "weighted_sum",
    "weighted_product": "weighted_product", "wpm": "weighted_product", "加权乘积": "weighted_product",
    "topsis": "topsis", "vikor": "vikor",
}
NORMALIZATION_ALIASES: dict[str, str] = {
    "minmax": "minmax", "min_max": "minmax", "极差": "minmax",
    "max": "max", "linear_max": "max",
    "sum": "sum", "vector": "vector", "向量": "vector",
    "zscore": "zscore", "z_score": "zscore", "target": "target",
}  # the same set as evaltools.mcda.NORMALIZATIONS
JUDGE_AGGREGATE_ALIASES: dict[str, str] = {
    "mean": "mean", "平均": "mean", "平均分": "mean",
    "median": "median", "中位数": "median",
    "trimmed_mean": "trimmed_mean", "去掉一个最高分和一个最低分": "trimmed_mean",
    "去掉最高最低": "trimmed_mean",
    "zscore": "zscore", "z_score": "zscore", "标准分": "zscore",
}
#: a fallback must work with fewer than 3 judges, so only these two
FALLBACK_ALIASES: dict[str, str] = {
    "mean": "mean", "平均": "mean", "平均分": "mean", "median": "median", "中位数": "median",
}
RATINGS_AGGREGATE_ALIASES: dict[str, str] = {
    "satisfaction_rate": "satisfaction_rate", "满意率": "satisfaction_rate",
    "mean": "mean", "平均": "mean",
    "bayesian_average": "bayesian_average", "贝叶斯平均": "bayesian_average",
    "wilson_lower": "wilson_lower", "top2box": "top2box",
}
TICKET_MEASURES: tuple[str, ...] = (
    "feedback_rate", "closure_rate", "on_time_closure_rate", "immediate_share", "backlog",
    "overdue", "satisfaction_rate", "median_working_days",
)
CAMPAIGN_MEASURES: tuple[str, ...] = ("vote_share", "votes", "rank", "recount_share")
SOURCE_ALIASES: dict[str, Source] = {
    "judges": "judges", "评委": "judges", "评委打分": "judges",
    "ratings": "ratings", "点评卡": "ratings", "满意度": "ratings",
    "tickets": "tickets", "工单": "tickets", "民情速递站": "tickets",
    "campaign": "campaign", "晒最美": "campaign", "投票": "campaign",
    "units": "units", "台账": "units",
}
DIRECTION_ALIASES: dict[str, Direction] = {
    "max": "max", "benefit": "max", "+": "max", "越大越好": "max", "正向": "max",
    "min": "min", "cost": "min", "-": "min", "越小越好": "min", "负向": "min",
}
TIES_ALIASES: dict[str, str] = {
    "min": "min", "competition": "min", "并列": "min", "1224": "min",
    "dense": "dense", "1223": "dense",
    "ordinal": "ordinal", "顺序": "ordinal",
    "average": "average", "平均名次": "average",
}
ROUNDING_ALIASES: dict[str, Literal["half_up", "half_even"]] = {
    "half_up": "half_up", "四舍五入": "half_up",
    "half_even": "half_even", "银行家舍入": "half_even",
}
MISSING_ALIASES: dict[str, Literal["error", "zero", "mean"]] = {
    "error": "error", "报错": "error", "zero": "zero", "记零分": "zero", "mean": "mean",
    "平均": "mean",
}
VETO_ALIASES: dict[str, Literal["disqualify", "grade"]] = {
    "disqualify": "disqualify", "取消资格": "disqualify", "grade": "grade", "定级": "grade",
}

_SECTIONS: dict[str, tuple[str, ...]] = {
    "competition": ("name", "unit", "organiser", "period", "notice_days", "method",
                    "normalization", "total_points"),
    "judges": ("aggregate", "min_judges", "fallback"),
    "ranking": ("ties", "tie_breakers"),
    "rounding": ("digits", "mode"),
    "missing": ("policy",),
    "ratings": ("labels", "satisfied", "scale", "prior_weight", "confidence"),
    "wjx": ("unit_question", "items", "unit_labels", "options", "matrix"),
    "publish": ("allow_comments", "judge_names", "title", "issuer", "document_number", "opening",
                "notice_start", "address", "phone", "email", "supervision_phone", "url",
                "summary_top", "stamp"),
}
_ARRAYS: dict[str, tuple[str, ...]] = {
    "criteria": ("id", "name", "group", "source", "aggregate", "items", "measure", "column",
                 "weight", "max_points", "direction", "scale"),
    "deductions": ("item", "name", "points", "criterion", "cap"),
    "bonuses": ("item", "name", "points", "cap"),
    "vetoes": ("item", "name", "action", "grade"),
    "grades": ("name", "min"),
    "stars": ("name", "criterion", "min_share", "min_total"),
}

_KIND_ZH = {
    "str": "文本", "int": "整数", "num": "数字", "bool": "true/false", "strlist": "文本列表",
    "pair": "两个数字的列表 [低, 高]", "numdict": "“文本 = 数字”表", "strdict": "“文本 = 文本”表",
    "table": "表（[节]）", "array": "表数组（[[节]]）",
}
_KIND_EN = {
    "str": "a string", "int": "an integer", "num": "a number", "bool": "true or false",
    "strlist": "a list of strings", "pair": "a list of two numbers [low, high]",
    "numdict": "a table of string = number", "strdict": "a table of string = string",
    "table": "a table ([section])", "array": "an array of tables ([[section]])",
}

#: patterns needed only to place a problem (or to check a phone number), compiled by ``re`` on
#: first use: a rubric that reads cleanly never pays for them (issue 17)
_HEADER_ARRAY = r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]"
_HEADER_TABLE = r"^\s*\[\s*([^\[\]]+?)\s*\]"
_KEY_LINE = r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*(?:\.|=)"""
_TOML_LINE = r"at line (\d+), column (\d+)"

Token = str | int
_C = TypeVar("_C", bound=str)  # a canonical option value (str, or a Literal of them)


def _split_header(text: str) -> tuple[str, ...]:
    parts = [p.strip().strip('"').strip("'") for p in text.split(".")]
    return tuple(p for p in parts if p)


class _LineIndex:
    """Where each table and key sits in the rubric text, to report a problem's line number.

    Arrays of tables are numbered from 1 in file order, matching key paths like ``criteria[3]``.
    """

    def __init__(self, text: str | None):
        self.sections: dict[tuple[Token, ...], int] = {}
        self.keys: dict[tuple[Token, ...], dict[str, int]] = {(): {}}
        if not text:
            return
        counts: dict[tuple[str, ...], int] = {}
        current: tuple[Token, ...] = ()
        for lineno, line in enumerate(text.splitlines(), start=1):
            if m := re.match(_HEADER_ARRAY, line):
                name = _split_header(m.group(1))
                counts[name] = counts.get(name, 0) + 1
                current = (*name, counts[name])
                self.sections.setdefault(current, lineno)
                self.keys.setdefault(current, {})
            elif m := re.match(_HEADER_TABLE, line):
                name = _split_header(m.group(1))
                # a sub-table of the latest array element, e.g. [criteria.foo] after [[criteria]]
                head = name[:1]
                current = (*head, counts[head], *name[1:]) if head in counts else name
                self.sections.setdefault(current, lineno)
                self.keys.setdefault(current, {})
            elif m := re.match(_KEY_LINE, line):
                key = m.group(1).strip('"').strip("'")
                self.keys[current].setdefault(key, lineno)

    def line(self, path: tuple[Token, ...]) -> int | None:
        for k in range(len(path) - 1, -1, -1):
            section, key = path[:k], path[k]
            if isinstance(key, str) and key in self.keys.get(section, {}):
                return self.keys[section][key]
        for k in range(len(path), 0, -1):
            if path[:k] in self.sections:
                return self.sections[path[:k]]
        return None


def format_path(path: tuple[Token, ...]) -> str:
    """``("criteria", 3, "weight")`` → ``"criteria[3].weight"`` (arrays counted from 1).

    >>> format_path(("criteria", 3, "weight"))
    'criteria[3].weight'
    >>> format_path(("ratings", "labels", "满意"))
    'ratings.labels.满意'
    """
    out = ""
    for t in path:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _close_matches(word: str, choices: Sequence[str]) -> list[str]:
    """The choice most like ``word`` (for a "did you mean" hint), or none."""
    import difflib  # only for a rubric with a mistake

    return difflib.get_close_matches(word, choices, n=1, cutoff=0.6)


class _Checker:
    """Collects every problem in a rubric; never stops at the first."""

    def __init__(self, file: str | None, text: str | None):
        self.file = file
        self.text = text
        self.problems: list[Problem] = []

    @functools.cached_property
    def index(self) -> _LineIndex:
        """Line numbers of the text, indexed when the first problem needs one."""
        return _LineIndex(self.text)

    def add(self, path: tuple[Token, ...], value: object, rule: str, zh: str, en: str,
            fix_zh: str = "", fix_en: str = "", line: int | None = None) -> None:
        self.problems.append(Problem(
            file=self.file, row=line if line is not None else self.index.line(path),
            column=format_path(path) if path else None, value=value, rule=rule, zh=zh, en=en,
            fix_zh=fix_zh, fix_en=fix_en,
        ))

    # -- structure -------------------------------------------------------------------------
    def check_keys(self, table: dict, allowed: tuple[str, ...], path: tuple[Token, ...]) -> None:
        for key in table:
            if key in allowed:
                continue
            close = _close_matches(str(key), allowed)
            hint_zh = f"您是不是想写 “{close[0]}”？" if close else ""
            hint_en = f"did you mean '{close[0]}'? " if close else ""
            self.add((*path, key), key, "unknown_key",
                     f"未知的键 “{key}”", f"unknown key '{key}'",
                     f"{hint_zh}允许的键：{', '.join(allowed)}",
                     f"{hint_en}allowed keys: {', '.join(allowed)}")

    def wrong_type(self, path: tuple[Token, ...], value: object, kind: str) -> None:
        self.add(path, value, "wrong_type",
                 f"类型不对，应为{_KIND_ZH[kind]}", f"has the wrong type; expected {_KIND_EN[kind]}",
                 f"请改为{_KIND_ZH[kind]}", f"write {_KIND_EN[kind]}")

    def get(self, table: dict, key: str, kind: str, path: tuple[Token, ...], default=None,
            *, required: bool = False):
        """The value of ``key`` converted to ``kind``; ``default`` (after a problem) otherwise."""
        here = (*path, key)
        if key not in table:
            if required:
                self.add(here, None, "missing_key", f"缺少必填的键 “{key}”",
                         f"required key '{key}' is missing", f"请添加 {key} = …",
                         f"add {key} = …", line=self.index.line(path) if path else None)
            return default
        v = table[key]
        ok = {
            "str": lambda: isinstance(v, str) and v.strip() != "",
            "int": lambda: isinstance(v, int) and not isinstance(v, bool),
            "num": lambda: _is_num(v) and math.isfinite(v),
            "bool": lambda: isinstance(v, bool),
            "strlist": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "pair": lambda: isinstance(v, list) and len(v) == 2 and all(map(_is_num, v)),
            "numdict": lambda: isinstance(v, dict) and all(map(_is_num, v.values())),
            "strdict": lambda: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        }[kind]()
        if not ok and kind == "num" and _is_num(v):
            ok = True  # a number, but not finite: reported below
        if not ok:
            self.wrong_type(here, v, kind)
            return default
        if kind in ("num", "pair", "numdict"):
            nums = v.values() if kind == "numdict" else (v if kind == "pair" else [v])
            if not all(math.isfinite(x) for x in nums):
                self.add(here, v, "not_finite",
                         f"“{key}” 必须是有限的数字（不能是 inf、-inf 或 nan）",
                         f"'{key}' must be finite numbers (not inf, -inf or nan)",
                         f"请把 {key} 改为具体的数值", f"write a real number for {key}")
                return default
        if kind == "str":
            return v.strip()
        if kind == "num":
            return float(v)
        if kind == "pair":
            return (float(v[0]), float(v[1]))
        if kind == "strlist":
            return tuple(x.strip() for x in v)
        if kind == "numdict":
            return {str(k): float(x) for k, x in v.items()}
        if kind == "strdict":
            return {str(k): x.strip() for k, x in v.items()}
        return v

    @overload
    def choice(self, table: dict, key: str, aliases: Mapping[str, _C], path: tuple[Token, ...],
               default: _C, *, allowed_note: str = "") -> _C: ...

    @overload
    def choice(self, table: dict, key: str, aliases: Mapping[str, _C], path: tuple[Token, ...],
               default: None, *, allowed_note: str = "") -> _C | None: ...

    def choice(self, table: dict, key: str, aliases: Mapping[str, _C], path: tuple[Token, ...],
               default: _C | None, *, allowed_note: str = "") -> _C | None:
        raw = self.get(table, key, "str", path)
        if raw is None:
            return default
        folded = raw.strip().lower()
        if folded in aliases:
            return aliases[folded]
        if raw in aliases:
            return aliases[raw]
        canonical = list(dict.fromkeys(aliases.values()))
        close = _close_matches(folded, list(aliases))
        hint_zh = f"您是不是想写 “{aliases[close[0]]}”？" if close else ""
        hint_en = f"did you mean '{aliases[close[0]]}'? " if close else ""
        others = sorted(a for a in aliases if a not in canonical)
        alias_note = f"（也接受：{', '.join(others)}）" if others else ""
        self.add((*path, key), raw, "bad_choice",
                 f"不是允许的取值{allowed_note}", f"is not an allowed value{allowed_note}",
                 f"{hint_zh}允许的取值：{', '.join(canonical)}{alias_note}",
                 f"{hint_en}allowed values: {', '.join(canonical)}")
        return default

    def section(self, data: dict, name: str) -> dict:
        v = data.get(name, {})
        if not isinstance(v, dict):
            self.wrong_type((name,), v, "table")
            return {}
        self.check_keys(v, _SECTIONS[name], (name,))
        return v

    def array(self, data: dict, name: str) -> list[tuple[tuple[Token, ...], dict]]:
        v = data.get(name, [])
        if isinstance(v, dict):  # a single [criteria] written instead of [[criteria]]
            v = [v]
        if not isinstance(v, list):
            self.wrong_type((name,), v, "array")
            return []
        out: list[tuple[tuple[Token, ...], dict]] = []
        for i, item in enumerate(v, start=1):
            path = (name, i)
            if not isinstance(item, dict):
                self.wrong_type(path, item, "table")
                continue
            self.check_keys(item, _ARRAYS[name], path)
            out.append((path, item))
        return out

    def nonneg(self, value: float | None, path: tuple[Token, ...], rule: str = "negative") -> None:
        if value is not None and value < 0:
            self.add(path, value, rule, "不能为负数", "must not be negative",
                     "请填写 0 或正数", "use 0 or a positive number")

    def unknown_criterion(self, path: tuple[Token, ...], cid: str, ids: list[str],
                          extra: tuple[str, ...] = ()) -> None:
        allowed = [*ids, *extra]
        close = _close_matches(cid, allowed)
        hint_zh = f"您是不是想写 “{close[0]}”？" if close else ""
        hint_en = f"did you mean '{close[0]}'? " if close else ""
        self.add(path, cid, "unknown_criterion", "引用了不存在的指标",
                 "refers to a criterion that is not defined",
                 f"{hint_zh}已定义的指标：{', '.join(allowed)}",
                 f"{hint_en}defined criteria: {', '.join(allowed)}")


def _criteria(ck: _Checker, data: dict, method: str | None) -> tuple[Criterion, ...]:
    rows = ck.array(data, "criteria")
    if not rows and data.get("criteria", []) in ([], {}):
        ck.add(("criteria",), None, "no_criteria", "评分细则中没有任何指标",
               "the rubric defines no criteria", "请至少添加一个 [[criteria]]",
               "add at least one [[criteria]] section", line=1)
    out: list[Criterion] = []
    seen: dict[str, Token] = {}
    for path, t in rows:
        cid = ck.get(t, "id", "str", path, required=True)
        name = ck.get(t, "name", "str", path, required=True)
        source = ck.choice(t, "source", SOURCE_ALIASES, path, "judges")
        if source == "judges":
            aggregate = ck.choice(t, "aggregate", JUDGE_AGGREGATE_ALIASES, path, None)
        elif source == "ratings":
            aggregate = ck.choice(t, "aggregate", RATINGS_AGGREGATE_ALIASES, path, None)
        else:
            aggregate = None
            if "aggregate" in t:
                ck.add((*path, "aggregate"), t["aggregate"], "unused_key",
                       f"来源为 {source} 的指标不使用 aggregate",
                       f"criteria with source '{source}' do not use 'aggregate'",
                       "请删除此键，或用 measure 指定指标值", "remove it (use 'measure' instead)")
        items = ck.get(t, "items", "strlist", path, ())
        measure = ck.get(t, "measure", "str", path)
        column = ck.get(t, "column", "str", path)
        weight = ck.get(t, "weight", "num", path)
        max_points = ck.get(t, "max_points", "num", path)
        direction = ck.choice(t, "direction", DIRECTION_ALIASES, path, "max")
        scale = ck.get(t, "scale", "pair", path)
        ck.nonneg(weight, (*path, "weight"), "negative_weight")
        ck.nonneg(max_points, (*path, "max_points"), "negative_weight")
        if scale is not None and scale[0] >= scale[1]:
            ck.add((*path, "scale"), list(scale), "bad_scale", "量程的下限必须小于上限",
                   "the scale's low end must be below its high end",
                   "请写成 [低, 高]，例如 [0, 20]", "write [low, high], e.g. [0, 20]")
        if source == "units" and column is None and "column" not in t:
            ck.add((*path, "column"), None, "missing_column",
                   "来源为 units 的指标必须用 column 指明单位表中的列",
                   "a criterion with source 'units' needs 'column' (a column of the units table)",
                   "请添加 column = \"列名\"", "add column = \"<column name>\"",
                   line=ck.index.line((*path, "source")))
        if source in ("tickets", "campaign"):
            allowed = TICKET_MEASURES if source == "tickets" else CAMPAIGN_MEASURES
            if measure is None and "measure" not in t:
                ck.add((*path, "measure"), None, "missing_measure",
                       f"来源为 {source} 的指标必须用 measure 指明取哪个值",
                       f"a criterion with source '{source}' needs 'measure'",
                       f"允许的取值：{', '.join(allowed)}", f"allowed values: {', '.join(allowed)}",
                       line=ck.index.line((*path, "source")))
            elif measure is not None and measure not in allowed:
                ck.add((*path, "measure"), measure, "bad_choice", "不是允许的取值",
                       "is not an allowed value", f"允许的取值：{', '.join(allowed)}",
                       f"allowed values: {', '.join(allowed)}")
        for key, used_by in (("items", "ratings"), ("column", "units")):
            if key in t and source != used_by:
                ck.add((*path, key), t[key], "unused_key",
                       f"只有来源为 {used_by} 的指标使用 {key}",
                       f"only criteria with source '{used_by}' use '{key}'",
                       f"请删除此键，或把 source 改为 {used_by}",
                       f"remove it or set source = \"{used_by}\"")
        if "measure" in t and source not in ("tickets", "campaign"):
            ck.add((*path, "measure"), t["measure"], "unused_key",
                   "只有来源为 tickets 或 campaign 的指标使用 measure",
                   "only criteria with source 'tickets' or 'campaign' use 'measure'",
                   "请删除此键", "remove it")
        if method == "points" and max_points is None and "max_points" not in t:
            ck.add((*path, "max_points"), None, "missing_max_points",
                   "计分法（method = points）要求每个指标都有 max_points（满分）",
                   "method 'points' needs max_points for every criterion",
                   "请添加 max_points = 分值，或改用加权方法",
                   "add max_points = <points> or choose a weighted method",
                   line=ck.index.line((*path, "id")))
        if method not in ("points", None) and weight is None and max_points is None and not (
                {"weight", "max_points"} & set(t)):
            ck.add((*path, "weight"), None, "missing_weight",
                   f"方法 {method} 要求每个指标都有 weight（权重）或 max_points",
                   f"method '{method}' needs a weight (or max_points) for every criterion",
                   "请添加 weight = 权重", "add weight = <number>",
                   line=ck.index.line((*path, "id")))
        if cid is not None:
            if cid in seen:
                ck.add((*path, "id"), cid, "duplicate_id",
                       f"指标编号重复（与 criteria[{seen[cid]}] 相同）",
                       f"duplicate criterion id (same as criteria[{seen[cid]}])",
                       "每个指标的 id 必须唯一", "give every criterion its own id")
            else:
                seen[cid] = path[1]
        if cid is None or name is None:
            continue
        out.append(Criterion(
            id=cid, name=name, group=ck.get(t, "group", "str", path), source=source or "judges",
            aggregate=aggregate, items=items or (), measure=measure, column=column,
            weight=weight if weight is not None else max_points, max_points=max_points,
            direction=direction or "max", scale=scale,
        ))
    # weights that are all zero
    if out and method not in ("points", None):
        ws = [c.weight for c in out if c.weight is not None]
        if ws and len(ws) == len(out) and all(w == 0 for w in ws):
            ck.add(("criteria",), 0, "zero_weights", "所有指标的权重都为 0",
                   "all criterion weights are 0", "请至少给一个指标正的权重",
                   "give at least one criterion a positive weight", line=ck.index.line(
                       ("criteria", 1, "weight")))
    if out and method == "points":
        ps = [c.max_points for c in out if c.max_points is not None]
        if ps and len(ps) == len(out) and all(p == 0 for p in ps):
            ck.add(("criteria",), 0, "zero_weights", "所有指标的满分都为 0",
                   "all criteria have max_points 0", "请至少给一个指标正的分值",
                   "give at least one criterion positive max_points",
                   line=ck.index.line(("criteria", 1, "max_points")))
    return tuple(out)


def _build(ck: _Checker, data: dict) -> Rubric | None:
    allowed_top = (*_SECTIONS, *_ARRAYS)
    ck.check_keys(data, allowed_top, ())
    comp = ck.section(data, "competition")
    if "competition" not in data:
        ck.add(("competition",), None, "missing_key", "缺少 [competition] 节",
               "the [competition] section is missing",
               "请添加 [competition] 并写上 name = \"评比名称\"",
               "add a [competition] section with name = \"...\"", line=1)
    name = ck.get(comp, "name", "str", ("competition",), required="competition" in data)
    unit = ck.choice(comp, "unit", UNIT_ALIASES, ("competition",), "building")
    method = ck.choice(comp, "method", METHOD_ALIASES, ("competition",), "points")
    norm = ck.choice(comp, "normalization", NORMALIZATION_ALIASES, ("competition",), None)
    organiser = ck.get(comp, "organiser", "str", ("competition",))
    period = ck.get(comp, "period", "str", ("competition",))
    notice_days = ck.get(comp, "notice_days", "int", ("competition",))
    ck.nonneg(notice_days, ("competition", "notice_days"))
    total_points = ck.get(comp, "total_points", "num", ("competition",), 100.0)
    if total_points <= 0:
        ck.add(("competition", "total_points"), total_points, "bad_range", "满分必须大于 0",
               "must be greater than 0", "例如 total_points = 100", "e.g. total_points = 100")

    judges = ck.section(data, "judges")
    judge_aggregate = ck.choice(judges, "aggregate", JUDGE_AGGREGATE_ALIASES, ("judges",),
                                "trimmed_mean")
    min_judges = ck.get(judges, "min_judges", "int", ("judges",), 3)
    if min_judges < 1:
        ck.add(("judges", "min_judges"), min_judges, "bad_range", "至少需要 1 位评委",
               "must be at least 1", "请填写正整数", "use a positive integer")
    fallback = ck.choice(judges, "fallback", FALLBACK_ALIASES, ("judges",), None)

    ranking = ck.section(data, "ranking")
    ties = ck.choice(ranking, "ties", TIES_ALIASES, ("ranking",), "min")
    tie_breakers = ck.get(ranking, "tie_breakers", "strlist", ("ranking",), ())

    rounding = ck.section(data, "rounding")
    digits = ck.get(rounding, "digits", "int", ("rounding",), 2)
    if not 0 <= digits <= 10:
        ck.add(("rounding", "digits"), digits, "bad_range", "小数位数应在 0 到 10 之间",
               "must be between 0 and 10", "例如 digits = 2", "e.g. digits = 2")
    mode = ck.choice(rounding, "mode", ROUNDING_ALIASES, ("rounding",), "half_up")

    missing = ck.section(data, "missing")
    policy = ck.choice(missing, "policy", MISSING_ALIASES, ("missing",), "error")

    ratings = _ratings(ck, ck.section(data, "ratings"))
    wjx = _wjx(ck, data)
    publish = ck.section(data, "publish")
    allow_comments = ck.get(publish, "allow_comments", "bool", ("publish",), False)
    judge_names = ck.get(publish, "judge_names", "bool", ("publish",), False)
    notice = _notice(ck, publish)

    # an unknown method was reported above; skip the checks that depend on it
    method_ok = all(p.column != "competition.method" for p in ck.problems)
    criteria = _criteria(ck, data, method if method_ok else None)
    ids = [c.id for c in criteria]

    for tb in tie_breakers:
        if tb != "total" and tb not in ids:
            ck.unknown_criterion(("ranking", "tie_breakers"), tb, ids, ("total",))

    deductions = []
    for path, t in ck.array(data, "deductions"):
        item = ck.get(t, "item", "str", path, required=True)
        points = ck.get(t, "points", "num", path, required=True)
        crit = ck.get(t, "criterion", "str", path)
        cap = ck.get(t, "cap", "num", path)
        ck.nonneg(points, (*path, "points"))
        ck.nonneg(cap, (*path, "cap"))
        if crit is not None and crit not in ids:
            ck.unknown_criterion((*path, "criterion"), crit, ids)
        if item is not None and points is not None:
            deductions.append(DeductionRule(item=item, points=points, criterion=crit, cap=cap,
                                            name=ck.get(t, "name", "str", path)))
    bonuses = []
    for path, t in ck.array(data, "bonuses"):
        item = ck.get(t, "item", "str", path, required=True)
        points = ck.get(t, "points", "num", path, required=True)
        cap = ck.get(t, "cap", "num", path)
        ck.nonneg(points, (*path, "points"))
        ck.nonneg(cap, (*path, "cap"))
        if item is not None and points is not None:
            bonuses.append(BonusRule(item=item, points=points, cap=cap,
                                     name=ck.get(t, "name", "str", path)))
    adjustment_rules: tuple[tuple[str, Sequence[DeductionRule | BonusRule]], ...] = (
        ("deductions", deductions), ("bonuses", bonuses))
    for kind, rules in adjustment_rules:
        seen_items: set[str] = set()
        for i, r in enumerate(rules, start=1):
            if r.item in seen_items:
                ck.add((kind, i, "item"), r.item, "duplicate_item", "同一个项目写了两次",
                       "the same item is listed twice", "请合并为一条", "merge them into one")
            seen_items.add(r.item)

    grades = []
    grade_paths = []
    for path, t in ck.array(data, "grades"):
        gname = ck.get(t, "name", "str", path, required=True)
        gmin = ck.get(t, "min", "num", path, required=True)
        if gname is not None and gmin is not None:
            grades.append(GradeBand(name=gname, min=gmin))
            grade_paths.append(path)
    gnames: set[str] = set()
    for j, (g, path) in enumerate(zip(grades, grade_paths, strict=True)):
        if g.name in gnames:
            ck.add((*path, "name"), g.name, "duplicate_grade", "等级名称重复",
                   "duplicate grade name", "每个等级只写一次", "list each grade once")
        gnames.add(g.name)
        if j > 0 and g.min >= grades[j - 1].min:
            ck.add((*path, "min"), g.min, "grade_order",
                   f"等级分数线必须从高到低严格递减（上一档 {grades[j - 1].name} 为 {grades[j - 1].min:g}）",
                   f"grade thresholds must strictly decrease from best to worst (the previous "
                   f"band {grades[j - 1].name} starts at {grades[j - 1].min:g})",
                   "按从高到低的顺序排列等级，并使分数线各不相同",
                   "list grades from best to worst with distinct thresholds")

    vetoes = []
    for path, t in ck.array(data, "vetoes"):
        item = ck.get(t, "item", "str", path, required=True)
        action = ck.choice(t, "action", VETO_ALIASES, path, "disqualify")
        grade = ck.get(t, "grade", "str", path)
        if action == "grade":
            if grade is None and "grade" not in t:
                ck.add((*path, "grade"), None, "missing_grade",
                       "action = grade 时必须用 grade 指明强制的等级",
                       "action 'grade' needs 'grade', the grade to force",
                       f"可选等级：{', '.join(g.name for g in grades) or '（尚未定义 [[grades]]）'}",
                       f"grades defined: {', '.join(g.name for g in grades) or '(none)'}",
                       line=ck.index.line((*path, "action")))
            elif grade is not None and grade not in gnames:
                ck.add((*path, "grade"), grade, "unknown_grade", "不是已定义的等级",
                       "is not one of the grades defined in [[grades]]",
                       f"可选等级：{', '.join(g.name for g in grades) or '（尚未定义 [[grades]]）'}",
                       f"grades defined: {', '.join(g.name for g in grades) or '(none)'}")
        elif grade is not None:
            ck.add((*path, "grade"), grade, "unused_key", "只有 action = grade 时才使用 grade",
                   "'grade' is only used with action = 'grade'",
                   "请删除此键，或写 action = \"grade\"", "remove it or set action = \"grade\"")
        if item is not None:
            vetoes.append(VetoRule(item=item, action=action or "disqualify", grade=grade,
                                   name=ck.get(t, "name", "str", path)))

    stars = []
    for path, t in ck.array(data, "stars"):
        sname = ck.get(t, "name", "str", path, required=True)
        crit = ck.get(t, "criterion", "str", path)
        min_share = ck.get(t, "min_share", "num", path)
        min_total = ck.get(t, "min_total", "num", path)
        if crit is not None and crit not in ids:
            ck.unknown_criterion((*path, "criterion"), crit, ids)
        if crit is not None and min_share is None and "min_share" not in t:
            ck.add((*path, "min_share"), None, "missing_key",
                   "按指标评星时必须写 min_share（达到该指标满分的比例，0–1）",
                   "a star on a criterion needs min_share (share of its maximum, 0-1)",
                   "例如 min_share = 0.9", "e.g. min_share = 0.9", line=ck.index.line(path))
        if crit is None and min_total is None and "min_total" not in t and "criterion" not in t:
            ck.add((*path, "min_total"), None, "missing_key",
                   "星级标准需要 criterion + min_share 或 min_total",
                   "a star rule needs criterion + min_share, or min_total",
                   "例如 min_total = 90", "e.g. min_total = 90", line=ck.index.line(path))
        if min_share is not None and not 0 < min_share <= 1:
            ck.add((*path, "min_share"), min_share, "bad_range", "比例必须在 0 到 1 之间（不含 0）",
                   "must be in (0, 1]", "例如 0.9 表示 90%", "e.g. 0.9 for 90%")
        if sname is not None:
            stars.append(StarRule(name=sname, criterion=crit, min_share=min_share,
                                  min_total=min_total))

    if method == "points" and criteria and all(c.max_points is not None for c in criteria):
        total = sum(cast(float, c.max_points) for c in criteria)  # all set: checked just above
        bonus_room = sum(b.cap if b.cap is not None else b.points for b in bonuses)
        ok = math.isclose(total, total_points) or (
            bonuses and math.isclose(total + bonus_room, total_points))
        if not ok:
            ck.add(("competition", "total_points"), total_points, "points_total",
                   f"各指标满分之和为 {total:g}，与满分 total_points = {total_points:g} 不一致",
                   f"the criteria's max_points add up to {total:g}, not total_points = "
                   f"{total_points:g}",
                   "请调整各指标的 max_points 或 total_points（加分项的上限可补足差额）",
                   "adjust max_points or total_points (bonus caps may make up the difference)",
                   line=ck.index.line(("competition", "total_points"))
                   or ck.index.line(("competition",)))
    if ck.problems or name is None:
        return None
    return Rubric(
        name=name, criteria=criteria, unit=unit, method=method, normalization=norm,
        judge_aggregate=judge_aggregate, min_judges=min_judges, judge_fallback=fallback,
        missing=policy, ties=ties, tie_breakers=tie_breakers, digits=digits,
        rounding=mode, deductions=tuple(deductions), bonuses=tuple(bonuses),
        vetoes=tuple(vetoes), grades=tuple(grades), stars=tuple(stars), ratings=ratings,
        wjx=wjx, organiser=organiser, period=period, notice_days=notice_days,
        total_points=total_points, allow_comments=allow_comments, judge_names=judge_names,
        notice=notice,
    )


_PHONE = r"^[0-9+()（） \-－—、/,，转]{5,}$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _notice(ck: _Checker, t: dict) -> NoticeConfig:
    p = ("publish",)
    start = t.get("notice_start")
    if isinstance(start, datetime):
        start = start.date()
    elif isinstance(start, str):
        try:
            start = date.fromisoformat(start.strip())
        except ValueError:
            start = None
            ck.add((*p, "notice_start"), t["notice_start"], "bad_date", "不是日期",
                   "is not a date", "例如 notice_start = 2024-05-01",
                   "e.g. notice_start = 2024-05-01")
    elif start is not None and not isinstance(start, date):
        ck.add((*p, "notice_start"), start, "bad_date", "不是日期", "is not a date",
               "例如 notice_start = 2024-05-01", "e.g. notice_start = 2024-05-01")
        start = None
    out = {k: ck.get(t, k, "str", p) for k in ("title", "issuer", "document_number", "opening",
                                                "address", "phone", "email",
                                                "supervision_phone", "url")}
    for k in ("phone", "supervision_phone"):
        if out[k] is not None and not re.match(_PHONE, out[k]):
            ck.add((*p, k), out[k], "bad_phone", "不像电话号码", "does not look like a phone number",
                   "例如 0371-68881234", "e.g. 0371-68881234")
    if out["email"] is not None and not re.match(_EMAIL, out["email"]):
        ck.add((*p, "email"), out["email"], "bad_email", "不像电子邮箱地址",
               "does not look like an e-mail address", "例如 jiedao@example.gov.cn",
               "e.g. office@example.gov.cn")
    top = ck.get(t, "summary_top", "int", p, 0)
    ck.nonneg(top, (*p, "summary_top"))
    stamp = ck.get(t, "stamp", "bool", p, True)
    return NoticeConfig(**out, notice_start=start, summary_top=top or 0, stamp=stamp)


def rubric_warnings(rubric: Rubric) -> list[Problem]:
    """What the 公示 notice will lack: contact details for objections (address, phone, e-mail,
    监督电话), the issuing office, the 公示期. Warnings, not errors: ``evaltools validate`` shows
    them, the notice is still published (without the missing lines).

    Examples
    --------
    >>> r = parse_rubric({"competition": {"name": "x", "total_points": 10, "notice_days": 7,
    ...                                   "organiser": "某街道办事处"},
    ...                   "publish": {"phone": "0371-68881234"},
    ...                   "criteria": [{"id": "a", "name": "甲", "max_points": 10}]})
    >>> [p.column for p in rubric_warnings(r)]
    ['publish.address', 'publish.email', 'publish.supervision_phone']
    """
    file = Path(rubric.source_path).name if rubric.source_path else None
    out = []

    def warn(key: str, zh: str, en: str, fix_zh: str, fix_en: str) -> None:
        out.append(Problem(file, None, key, None, "notice_incomplete",
                           f"公示缺少{zh}（警告）", f"the notice lacks {en} (warning)",
                           fix_zh, fix_en))

    n = rubric.notice
    if rubric.notice_days is None:
        warn("competition.notice_days", "公示期天数", "the length of the notice period",
             "例如 notice_days = 7", "e.g. notice_days = 7")
    if n.issuer is None and rubric.organiser is None:
        warn("publish.issuer", "落款单位", "the issuing office", "例如 issuer = \"某某街道办事处\"",
             "e.g. issuer = \"...街道办事处\"")
    for key, zh, en in (("address", "异议受理地址", "an address for objections"),
                        ("phone", "异议受理电话", "a phone number for objections"),
                        ("email", "异议受理电子邮箱", "an e-mail address for objections"),
                        ("supervision_phone", "监督电话", "a supervision phone number")):
        if getattr(n, key) is None:
            warn(f"publish.{key}", zh, en, f"请在 [publish] 中填写 {key} = \"…\"",
                 f"add {key} = \"...\" to [publish]")
    return out


def _ratings(ck: _Checker, t: dict) -> RatingsConfig:
    d = RatingsConfig()
    p = ("ratings",)
    labels = ck.get(t, "labels", "numdict", p, d.labels)
    satisfied = ck.get(t, "satisfied", "strlist", p, d.satisfied)
    scale = ck.get(t, "scale", "pair", p, d.scale)
    prior = ck.get(t, "prior_weight", "num", p, d.prior_weight)
    conf = ck.get(t, "confidence", "num", p, d.confidence)
    for lab in satisfied:
        if lab not in labels:
            ck.add((*p, "satisfied"), lab, "unknown_label", "不是 [ratings] labels 中定义的选项",
                   "is not one of the labels defined in [ratings] labels",
                   f"已定义的选项：{', '.join(labels)}", f"labels defined: {', '.join(labels)}")
    if scale[0] >= scale[1]:
        ck.add((*p, "scale"), list(scale), "bad_scale", "量程的下限必须小于上限",
               "the scale's low end must be below its high end", "例如 [1, 4]", "e.g. [1, 4]")
    ck.nonneg(prior, (*p, "prior_weight"))
    if not 0 < conf < 1:
        ck.add((*p, "confidence"), conf, "bad_range", "置信水平必须在 0 到 1 之间",
               "must be between 0 and 1", "例如 0.95", "e.g. 0.95")
    return RatingsConfig(labels=labels, satisfied=satisfied, scale=scale, prior_weight=prior,
                         confidence=conf)


def _wjx(ck: _Checker, data: dict) -> WjxMapping | None:
    if "wjx" not in data:
        return None
    t = ck.section(data, "wjx")
    q = ck.get(t, "unit_question", "str", ("wjx",), required=True)
    matrix = ck.get(t, "matrix", "strlist", ("wjx",), ())
    items = ck.get(t, "items", "strdict", ("wjx",), {} if matrix else None, required=not matrix)
    labels = ck.get(t, "unit_labels", "strdict", ("wjx",), {})
    options = ck.get(t, "options", "strlist", ("wjx",), ())
    if q is None or items is None:
        return None
    return WjxMapping(unit_question=q, items=items, unit_labels=labels, options=options,
                      matrix=matrix)


def _raise_if(ck: _Checker) -> None:
    if ck.problems:
        raise RubricError(ck.problems)


def parse_rubric(text_or_dict: str | Mapping, *, source: str | None = None) -> Rubric:
    """Validate a rubric given as TOML text or as an already-parsed dict.

    Parameters
    ----------
    text_or_dict : the TOML text of a ``rubric.toml``, or the dict ``tomllib`` makes of it.
    source : the file name to cite in problems (e.g. ``"rubric.toml"``).

    Returns
    -------
    Rubric
        Aliases normalised (``越大越好`` → ``max``, ``楼院`` → ``courtyard`` …); a criterion's
        missing ``weight`` defaults to its ``max_points``.

    Raises
    ------
    RubricError
        Listing every problem at once, each with the TOML line, key path, rule and fix.

    Examples
    --------
    >>> r = parse_rubric('''
    ... [competition]
    ... name = "楼栋评比"
    ... unit = "楼栋"
    ... total_points = 30
    ... [[criteria]]
    ... id = "sanitation"
    ... name = "环境卫生"
    ... max_points = 20
    ... direction = "越大越好"
    ... [[criteria]]
    ... id = "stairwell"
    ... name = "楼道整洁"
    ... max_points = 10
    ... ''')
    >>> r.unit, r.criterion_ids, r.criterion("sanitation").direction
    ('building', ('sanitation', 'stairwell'), 'max')

    Every mistake is reported, with its line and key path:

    >>> try:
    ...     parse_rubric('[competition]\\nname = "x"\\nmethod = "topsiss"\\n', source="rubric.toml")
    ... except RubricError as e:
    ...     for p in e.problems:
    ...         print(p.row, p.column, p.rule)
    3 competition.method bad_choice
    1 criteria no_criteria
    """
    text: str | None = None
    if isinstance(text_or_dict, str):
        import tomllib  # on reading a rubric, not on `import evaltools` (≈ 3 ms)

        text = text_or_dict
        ck = _Checker(source, text)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(_TOML_LINE, str(exc))
            line = int(m.group(1)) if m else None
            bad = text.splitlines()[line - 1].strip() \
                if line is not None and line <= len(text.splitlines()) \
                else None
            ck.add((), bad, "toml_syntax", f"TOML 语法错误：{exc}", f"TOML syntax error: {exc}",
                   "检查引号、方括号和逗号是否成对；文本要加英文双引号",
                   "check quotes, brackets and commas; strings need double quotes", line=line)
            _raise_if(ck)
            raise AssertionError("unreachable") from exc
    else:
        data = dict(text_or_dict)
        ck = _Checker(source, None)
    rubric = _build(ck, data)
    _raise_if(ck)
    assert rubric is not None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None
    return replace(rubric, source_path=source, sha256=sha)


def read_rubric(path: str | os.PathLike) -> Rubric:
    """Read and validate ``rubric.toml``.

    The file should be UTF-8 (with or without BOM); a GBK/GB18030 file saved by an older Windows
    editor is accepted too. ``Rubric.sha256`` is the SHA-256 of the file's bytes, so a published
    leaderboard can cite exactly which rules produced it.

    Raises
    ------
    RubricError
        When the file is missing, unreadable or invalid; every problem is listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "rubric.toml").write_text('''
    ... [competition]
    ... name = "最美楼院"
    ... unit = "楼院"
    ... method = "weighted_sum"
    ... [[criteria]]
    ... id = "green"
    ... name = "绿化美化"
    ... weight = 0.4
    ... [[criteria]]
    ... id = "tidy"
    ... name = "楼道整洁"
    ... weight = 0.6
    ... ''', encoding="utf-8")
    >>> r = read_rubric(d / "rubric.toml")
    >>> r.unit, r.method, [c.weight for c in r.criteria], len(r.sha256)
    ('courtyard', 'weighted_sum', [0.4, 0.6], 64)
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RubricError(Problem(
            p.name, None, None, str(p), "file_not_found", f"无法读取评分细则文件（{exc.strerror}）",
            f"cannot read the rubric file ({exc.strerror})",
            "检查路径是否正确", "check the path")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise RubricError(Problem(
                p.name, None, None, None, "encoding", "文件编码无法识别",
                "the file's encoding is not UTF-8 or GBK",
                "请用 UTF-8 编码另存为", "save it as UTF-8")) from None
    rubric = parse_rubric(text, source=p.name)
    return replace(rubric, source_path=str(p), sha256=hashlib.sha256(raw).hexdigest())


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != () and v != {}}


def rubric_to_dict(rubric: Rubric) -> dict:
    """The rubric as the nested dict of its TOML form (canonical values; None left out).

    >>> r = parse_rubric({"competition": {"name": "x", "total_points": 10},
    ...                   "criteria": [{"id": "a", "name": "甲", "max_points": 10}]})
    >>> rubric_to_dict(r)["criteria"]
    [{'id': 'a', 'name': '甲', 'source': 'judges', 'weight': 10.0, 'max_points': 10.0, 'direction': 'max'}]
    """
    out: dict = {
        "competition": _drop_none({
            "name": rubric.name, "unit": rubric.unit, "organiser": rubric.organiser,
            "period": rubric.period, "notice_days": rubric.notice_days, "method": rubric.method,
            "normalization": rubric.normalization, "total_points": rubric.total_points,
        }),
        "judges": _drop_none({"aggregate": rubric.judge_aggregate, "min_judges": rubric.min_judges,
                              "fallback": rubric.judge_fallback}),
        "ranking": _drop_none({"ties": rubric.ties, "tie_breakers": list(rubric.tie_breakers)
                               or None}),
        "rounding": {"digits": rubric.digits, "mode": rubric.rounding},
        "missing": {"policy": rubric.missing},
        "ratings": {
            "labels": dict(rubric.ratings.labels), "satisfied": list(rubric.ratings.satisfied),
            "scale": list(rubric.ratings.scale), "prior_weight": rubric.ratings.prior_weight,
            "confidence": rubric.ratings.confidence,
        },
        "publish": {"allow_comments": rubric.allow_comments,
                    "judge_names": rubric.judge_names, **_drop_none({
            "title": rubric.notice.title, "issuer": rubric.notice.issuer,
            "document_number": rubric.notice.document_number, "opening": rubric.notice.opening,
            "notice_start": rubric.notice.notice_start, "address": rubric.notice.address,
            "phone": rubric.notice.phone, "email": rubric.notice.email,
            "supervision_phone": rubric.notice.supervision_phone, "url": rubric.notice.url,
            "summary_top": rubric.notice.summary_top or None,
            "stamp": None if rubric.notice.stamp else False})},
    }
    if rubric.wjx is not None:
        out["wjx"] = _drop_none({"unit_question": rubric.wjx.unit_question,
                                 "items": dict(rubric.wjx.items),
                                 "unit_labels": dict(rubric.wjx.unit_labels) or None,
                                 "options": list(rubric.wjx.options) or None,
                                 "matrix": list(rubric.wjx.matrix) or None})
    out["criteria"] = [
        _drop_none({
            "id": c.id, "name": c.name, "group": c.group, "source": c.source,
            "aggregate": c.aggregate, "items": list(c.items) or None, "measure": c.measure,
            "column": c.column, "weight": c.weight, "max_points": c.max_points,
            "direction": c.direction, "scale": list(c.scale) if c.scale else None,
        })
        for c in rubric.criteria
    ]
    arrays = {
        "deductions": [_drop_none({"item": d.item, "name": d.name, "points": d.points,
                                   "criterion": d.criterion, "cap": d.cap})
                       for d in rubric.deductions],
        "bonuses": [_drop_none({"item": b.item, "name": b.name, "points": b.points, "cap": b.cap})
                    for b in rubric.bonuses],
        "vetoes": [_drop_none({"item": v.item, "name": v.name, "action": v.action,
                               "grade": v.grade}) for v in rubric.vetoes],
        "grades": [{"name": g.name, "min": g.min} for g in rubric.grades],
        "stars": [_drop_none({"name": s.name, "criterion": s.criterion, "min_share": s.min_share,
                              "min_total": s.min_total}) for s in rubric.stars],
    }
    out.update({k: v for k, v in arrays.items() if v})
    return out


def write_rubric(rubric: Rubric, path: str | os.PathLike) -> Path:
    """Write ``rubric`` as TOML (UTF-8) so that ``read_rubric(path)`` gives it back.

    Only ``source_path`` and ``sha256`` differ after a round trip (they describe the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> r = parse_rubric({"competition": {"name": "x", "total_points": 10},
    ...                   "criteria": [{"id": "a", "name": "甲", "max_points": 10}]})
    >>> p = write_rubric(r, pathlib.Path(tempfile.mkdtemp()) / "rubric.toml")
    >>> back = read_rubric(p)
    >>> replace(back, source_path=None, sha256=None) == replace(r, source_path=None, sha256=None)
    True
    """
    import tomli_w  # only when writing

    p = Path(path)
    text = tomli_w.dumps(rubric_to_dict(rubric))
    p.write_text(text, encoding="utf-8")
    return p


def update_rubric_file(rubric: Rubric, path: str | os.PathLike) -> Path:
    """Write ``rubric`` into the existing ``rubric.toml`` at ``path`` changing only what differs,
    so the user's comments, order, aliases (``method = "百分制"``) and blank lines stay. A key
    whose value changed is rewritten in canonical form (its line comment kept); criteria are
    matched by ``id``; grades and stars, when changed, are rewritten as a whole. Without a file
    at ``path`` this is :func:`write_rubric`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rubric.toml"
    >>> _ = p.write_text('''# 我们街道的细则
    ... [competition]
    ... name = "x"
    ... method = "百分制"   # 计分制
    ... total_points = 10
    ... [[criteria]]
    ... id = "a"
    ... name = "甲"
    ... max_points = 6  # 卫生
    ... [[criteria]]
    ... id = "b"
    ... name = "乙"
    ... max_points = 4
    ... ''', encoding="utf-8")
    >>> r = read_rubric(p)
    >>> a, b = r.criteria
    >>> r = replace(r, criteria=(replace(a, max_points=7.0, weight=7.0),
    ...                          replace(b, max_points=3.0, weight=3.0)))
    >>> _ = update_rubric_file(r, p)
    >>> print(p.read_text(encoding="utf-8").rstrip())
    # 我们街道的细则
    [competition]
    name = "x"
    method = "百分制"   # 计分制
    total_points = 10
    [[criteria]]
    id = "a"
    name = "甲"
    max_points = 7 # 卫生
    [[criteria]]
    id = "b"
    name = "乙"
    max_points = 3
    """
    import tomlkit

    p = Path(path)
    if not p.is_file():
        return write_rubric(rubric, p)
    base = read_rubric(p)
    old, new = rubric_to_dict(base), rubric_to_dict(rubric)
    doc = tomlkit.parse(p.read_text(encoding="utf-8-sig"))

    def put(table: Any, key: str, value: Any) -> None:
        comment = None
        if key in table:
            trivia = getattr(table[key], "trivia", None)
            comment = trivia.comment if trivia is not None and trivia.comment else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 14 rather than 14.0: the file stays as a person writes it
        elif isinstance(value, list):
            value = [int(v) if isinstance(v, float) and v.is_integer() else v for v in value]
        item = tomlkit.item(value)
        if comment:
            item.comment(comment.lstrip("#").strip())
        table[key] = item

    def merge(table: Any, was: dict, now: dict) -> None:
        for key, value in now.items():
            if isinstance(value, dict) and key in table and isinstance(was.get(key), dict):
                merge(table[key], was[key], value)
            elif was.get(key) != value:
                put(table, key, value)
        for key in was:
            if key not in now and key in table:
                del table[key]

    for section in ("competition", "judges", "ranking", "rounding", "missing", "ratings",
                    "publish", "wjx"):
        if old.get(section) == new.get(section):
            continue
        if section not in doc:
            doc[section] = tomlkit.table()
        merge(doc[section], old.get(section, {}), new.get(section, {}))
    if old.get("criteria") != new.get("criteria"):
        was = {c["id"]: c for c in old.get("criteria", [])}
        present = {c["id"]: c for c in doc.get("criteria", [])}
        if set(was) != {c["id"] for c in new["criteria"]} or set(present) != set(was):
            doc["criteria"] = tomlkit.aot()
            for c in new["criteria"]:
                doc["criteria"].append(tomlkit.item(c))
        else:
            for c in new["criteria"]:
                if (c.get("weight") == c.get("max_points") and "weight" not in present[c["id"]]
                        and new["competition"].get("method", "points") == "points"):
                    c = {k: v for k, v in c.items() if k != "weight"}  # weight = max_points
                    was_c = {k: v for k, v in was[c["id"]].items() if k != "weight"}
                else:
                    was_c = was[c["id"]]
                merge(present[c["id"]], was_c, c)
    for section in ("deductions", "bonuses", "vetoes", "grades", "stars"):
        if old.get(section) != new.get(section):
            if new.get(section):
                aot = tomlkit.aot()
                for entry in new[section]:
                    aot.append(tomlkit.item(entry))
                doc[section] = aot
            elif section in doc:
                del doc[section]
    p.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return p
