"""The tables evaltools reads: canonical English columns, their types and the Chinese aliases users type.

This module is the single source of truth for the data formats documented in
``docs/data-format.md``. Readers map a user's headers onto canonical names with
:func:`canonical_name`; validation checks types and required columns from :data:`TABLES`.

Examples
--------
>>> canonical_name("楼栋编号", "scores")
'unit_id'
>>> canonical_name(" 得分 ", "scores")
'score'
>>> TABLES["scores"].required
('round', 'unit_id', 'judge_id', 'criterion', 'score')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from evaltools.records import Record

__all__ = [
    "TABLES",
    "ColumnSpec",
    "TableSpec",
    "canonical_name",
    "normalize_header",
    "split_criterion_header",
]

Kind = Literal["str", "int", "float", "datetime", "bool"]


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class ColumnSpec(Record):
    """One canonical column.

    ``label`` is the Chinese header evaltools writes; ``aliases`` are the other headers it accepts.
    ``personal`` marks fields that identify a resident and are masked in everything published.
    """

    name: str
    kind: Kind
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    personal: bool = False
    description: str = ""


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class TableSpec(Record):
    name: str
    label: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = ()  # columns that must be unique together
    description: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def personal(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.personal)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, kind, label, *aliases, required=False, personal=False, description=""):
    return ColumnSpec(name, kind, label, required, (label, *aliases), personal, description)


_UNIT = ("楼栋编号", "单位编号", "楼院编号", "楼栋ID", "unit")
_LOCATION = "街道、社区、楼院三列可一起省略（不会被编造）/ optional together, never invented"
_ROUND = ("轮次", "期次", "期数", "第几期", "评比轮次")

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "units", "参评单位",
            (
                _c("unit_id", "str", "单位编号", *_UNIT[:1], *_UNIT[2:], required=True),
                _c("name", "str", "名称", "楼栋名称", "楼院名称", "单位名称", required=True),
                _c("street", "str", "街道", "街道办事处", "所属街道", required=True,
                   description=_LOCATION),
                _c("community", "str", "社区", "所属社区", required=True, description=_LOCATION),
                _c("courtyard", "str", "楼院", "所属楼院", "小区", "院落", required=True,
                   description=_LOCATION),
                _c("households", "int", "户数", "住户数"),
                _c("buildings", "int", "楼栋数", "栋数"),
                _c("managed", "bool", "有无物业", "有无主管单位", "有物业",
                   description="有物业或主管单位为 是/true；无主管楼院为 否/false"),
            ),
            key=("unit_id",),
            description="one row per building or courtyard that can be ranked",
        ),
        TableSpec(
            "judges", "评委",
            (
                _c("judge_id", "str", "评委编号", "评委", "评委ID", required=True),
                _c("name", "str", "姓名", "评委姓名", personal=True),
                _c("role", "str", "身份", "类别", "角色",
                   description="网格员 / 党员 / 居民代表 / 业委会 / 工作人员"),
            ),
            key=("judge_id",),
            description="optional: the panel; when present, judge ids in scores must be listed here",
        ),
        TableSpec(
            "scores", "评委评分",
            (
                _c("round", "int", "轮次", *_ROUND[1:], required=True),
                _c("unit_id", "str", "楼栋编号", *_UNIT[1:], required=True),
                _c("judge_id", "str", "评委", "评委编号", "评委ID", "打分人", required=True),
                _c("criterion", "str", "指标", "评分项", "评分项目", "考核项目", "指标编号",
                   required=True),
                _c("score", "float", "得分", "分数", "评分", "分值", required=True),
            ),
            key=("round", "unit_id", "judge_id", "criterion"),
            description="judges' scores in long form; wide sheets (one column per criterion) are "
            "reshaped on reading",
        ),
        TableSpec(
            "deductions", "检查扣分",
            (
                _c("round", "int", "轮次", *_ROUND[1:], required=True),
                _c("unit_id", "str", "楼栋编号", *_UNIT[1:], required=True),
                _c("item", "str", "扣分项", "问题", "检查项", "项目", "加分项", required=True),
                _c("count", "int", "次数", "处数", "发现处数", "数量", required=True),
                _c("note", "str", "备注", "说明"),
            ),
            description="problems (扣分) and bonus items (加分) found on inspection; item names "
            "match the rubric's deductions, bonuses and vetoes",
        ),
        TableSpec(
            "ratings", "群众点评",
            (
                _c("unit_id", "str", "楼栋编号", *_UNIT[1:], required=True),
                _c("respondent_id", "str", "答卷编号", "序号", "点评卡编号", "卡号", required=True),
                _c("submitted_at", "datetime", "提交时间", "提交答卷时间", "时间", required=True),
                _c("item", "str", "题目", "评价项目", "点评项目", "问题", required=True),
                _c("rating", "str", "评价", "满意度", "评分", "选项", required=True,
                   description="a number on the rubric's scale or a label such as 满意/基本满意"),
                _c("comment", "str", "意见建议", "留言", "备注", personal=True),
            ),
            key=("respondent_id", "item"),
            description="review cards (群众点评卡) and survey answers, one row per card and item",
        ),
        TableSpec(
            "tickets", "民情工单",
            (
                _c("ticket_id", "str", "工单编号", "编号", "单号", required=True),
                _c("unit_id", "str", "楼院编号", *_UNIT[:2], *_UNIT[3:], required=True),
                _c("category", "str", "类别", "问题类别", "诉求类别", required=True),
                _c("channel", "str", "渠道", "来源", "收集渠道", required=True),
                _c("received_at", "datetime", "收集时间", "居民点单时间", "受理时间", "点单时间",
                   required=True),
                _c("dispatched_at", "datetime", "下单时间", "派单时间", "社区党支部下单时间"),
                _c("accepted_at", "datetime", "接单时间", "党员干部接单时间"),
                _c("responded_at", "datetime", "反馈时间", "答复时间"),
                _c("resolved_at", "datetime", "办结时间", "解决时间"),
                _c("status", "str", "状态", "办理状态", required=True,
                   description="已办结 / 正在解决 / 立即办理 / 已受理"),
                _c("rating", "str", "群众评单", "评价", "满意度"),
                _c("resident_name", "str", "居民姓名", "姓名", "反映人", personal=True),
                _c("phone", "str", "联系电话", "电话", "手机", "手机号", personal=True),
                _c("room", "str", "房号", "门牌号", "住址", personal=True),
                _c("content", "str", "诉求内容", "内容", "意见建议", personal=True),
            ),
            key=("ticket_id",),
            description="民情速递站 and 四联单 work orders",
        ),
        TableSpec(
            "entries", "晒最美作品",
            (
                _c("round", "int", "轮次", *_ROUND[1:], required=True),
                _c("entry_id", "str", "作品编号", "参赛编号", required=True),
                _c("unit_id", "str", "楼栋编号", *_UNIT[1:], required=True),
                _c("category", "str", "类别", "组别", "评选类别", required=True,
                   description="最美楼栋 / 最美庭院 / 最美楼道 …"),
                _c("title", "str", "作品名称", "标题", required=True),
                _c("photo", "str", "照片", "图片"),
            ),
            key=("round", "entry_id"),
            description="晒最美 entries per round",
        ),
        TableSpec(
            "votes", "晒最美投票",
            (
                _c("round", "int", "轮次", *_ROUND[1:], required=True),
                _c("entry_id", "str", "作品编号", "参赛编号", required=True),
                _c("voter_id", "str", "投票人", "投票人编号", "用户ID", "openid", required=True,
                   personal=True),
                _c("voted_at", "datetime", "投票时间", "时间", required=True),
                _c("ip", "str", "IP", "来自IP", "IP地址", personal=True),
                _c("device", "str", "设备", "设备号", personal=True),
            ),
            description="晒最美 votes, one row per vote",
        ),
        TableSpec(
            "corrections", "更正记录",
            (
                _c("unit_id", "str", "单位编号", *_UNIT[:1], *_UNIT[2:], required=True),
                _c("item", "str", "更正项目", "项目", "更正内容", required=True,
                   description="what was corrected: 环境卫生评分 / 楼道堆物扣分 / 总分 …"),
                _c("before", "str", "原值", "更正前", "原公示值"),
                _c("after", "str", "更正值", "更正后"),
                _c("reason", "str", "理由", "更正理由", "复核意见", "原因", required=True),
                _c("date", "datetime", "日期", "更正日期", "复核日期", required=True),
                _c("round", "int", "轮次", *_ROUND[1:]),
            ),
            description="corrections after objections during the 公示 (异议 → 复核 → 更正): "
            "one row per corrected item; `publish --supersedes` lists them in the 更正说明",
        ),
    )
}


_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalize_header(header: str) -> str:
    """Fold a header for matching: NFKC (full-width → half-width), trim, drop spaces and zero-width
    characters (U+200B–U+200D, U+2060, U+FEFF), lower-case.

    >>> normalize_header(" 得 分 ")
    '得分'
    >>> normalize_header("Unit_ID")
    'unit_id'
    >>> normalize_header("得分\u200b"), normalize_header("ｕｎｉｔ＿ｉｄ")
    ('得分', 'unit_id')
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return _SPACES.sub("", text)


def _alias_index(table: str) -> dict[str, str]:
    spec = TABLES[table]
    index: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, *col.aliases):
            index.setdefault(normalize_header(alias), col.name)
    return index


_ALIASES = {name: _alias_index(name) for name in TABLES}


def canonical_name(header: str, table: str) -> str | None:
    """The canonical column a user's header stands for in ``table``, or None if unknown."""
    return _ALIASES[table].get(normalize_header(header))


#: compiled by ``re`` on first use: only score sheets whose headers carry a maximum need it
_MAX_IN_HEADER = (
    r"(?s)^(?P<name>.*?)\s*(?:"
    r"\(\s*(?:满分)?[:：]?\s*(?P<a>\d+(?:\.\d+)?)\s*分?\s*\)"
    r"|满分[:：]?\s*(?P<b>\d+(?:\.\d+)?)\s*分?"
    r"|(?<=\s)(?P<c>\d+(?:\.\d+)?)\s*分"
    r")\s*$")


def split_criterion_header(header: str) -> tuple[str, float | None]:
    """Split a criterion header that carries its maximum into (name, maximum).

    Full-width brackets and digits are folded first (NFKC); a header without a maximum gives
    ``(header, None)``.

    >>> for h in ["环境卫生（30分）", "环境卫生(30分)", "环境卫生 30分", "环境卫生\\n满分30",
    ...           "环境卫生（满分：30）", "环境卫生", "得分"]:
    ...     print(split_criterion_header(h))
    ('环境卫生', 30.0)
    ('环境卫生', 30.0)
    ('环境卫生', 30.0)
    ('环境卫生', 30.0)
    ('环境卫生', 30.0)
    ('环境卫生', None)
    ('得分', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    m = re.match(_MAX_IN_HEADER, text)
    if m is None or not m.group("name").strip():
        return str(header).strip(), None
    value = m.group("a") or m.group("b") or m.group("c")
    return m.group("name").strip(), float(value)
