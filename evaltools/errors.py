"""User-facing problems and errors, in Chinese and English.

Every mistake a user can make in a file or a rubric becomes a :class:`Problem` that names the file,
the row as the user sees it in Excel (the header is row 1, so the first data row is row 2), the
column as the user typed it, the offending value, the rule, and a fix — in Chinese and English.

Problems are collected, never raised one by one: validation reports them all at once. A strict
reader raises one :class:`ValidationError` that carries the whole :class:`ValidationReport`.

Examples
--------
>>> p = Problem(file="scores.csv", row=5, column="得分", value="abc", rule="not_numeric",
...             zh="不是数字", en="is not a number", fix_zh="请填写数字", fix_en="enter a number")
>>> print(p)
scores.csv 第5行 “得分”列：值 “abc” 不是数字。请填写数字。 | scores.csv, row 5, column '得分': value 'abc' is not a number. Fix: enter a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from evaltools.records import Record

__all__ = [
    "EvalToolsError",
    "EvalToolsWarning",
    "FileCount",
    "Problem",
    "ProblemGroup",
    "RubricError",
    "UsageError",
    "ValidationError",
    "ValidationReport",
    "group_problems",
    "require_columns",
]


def _short(value: object, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class Problem(Record):
    """One thing wrong in a user's file or rubric.

    Parameters
    ----------
    file : name of the file as the user knows it (no directories), or None for in-memory data.
    row : Excel row number (header = 1, first data row = 2); None when the problem is the whole file
        or a column. For TOML rubrics, the line number.
    column : the header as the user typed it (not the canonical English name); None for the file.
    value : the offending cell value (None when there is none, e.g. a missing column).
    rule : a stable machine-readable code such as ``"not_numeric"``; tests assert on it.
    zh, en : what is wrong, in Chinese and English, without the location (added by ``str``).
    fix_zh, fix_en : what to do about it.
    sheet : the sheet name for Excel files.
    """

    file: str | None
    row: int | None
    column: str | None
    value: object
    rule: str
    zh: str
    en: str
    fix_zh: str = ""
    fix_en: str = ""
    sheet: str | None = None

    def where_zh(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f"（工作表 {self.sheet}）" if self.sheet else ""))
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.column is not None:
            parts.append(f"“{self.column}”列")
        return " ".join(parts)

    def where_en(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f" (sheet {self.sheet})" if self.sheet else ""))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def message_zh(self) -> str:
        value = f"值 “{_short(self.value)}” " if self.value is not None else ""
        fix = f"{self.fix_zh}。" if self.fix_zh else ""
        where = self.where_zh()
        return f"{where}：{value}{self.zh}。{fix}" if where else f"{value}{self.zh}。{fix}"

    def message_en(self) -> str:
        value = f"value '{_short(self.value)}' " if self.value is not None else ""
        fix = f" Fix: {self.fix_en}." if self.fix_en else ""
        where = self.where_en()
        return f"{where}: {value}{self.en}.{fix}" if where else f"{value}{self.en}.{fix}"

    def __str__(self) -> str:
        return f"{self.message_zh()} | {self.message_en()}"


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class FileCount(Record):
    """Row accounting for one file: ``accepted + rejected == read`` always holds.

    ``skipped`` counts answers (cells, not rows) read as missing in a questionnaire export:
    问卷星's -2 (skipped) and -3 (not shown) codes and empty answers. Their rows are accepted.
    """

    file: str
    table: str
    read: int
    accepted: int
    rejected: int
    skipped: int = 0

    def __post_init__(self) -> None:
        if self.accepted + self.rejected != self.read:
            raise AssertionError(f"row accounting broken for {self.file}: {self}")


#: A problem repeated on at least this many rows is shown as one grouped message.
GROUP_MIN = 3
#: How many rows and distinct values a grouped message lists.
GROUP_SHOW = 5


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class ProblemGroup(Record):
    """The same problem (file, sheet, column, rule) on several rows, shown as one message with
    the count, the distinct values and the first rows. ``problems`` keeps every one of them."""

    problems: tuple[Problem, ...]

    @property
    def first(self) -> Problem:
        return self.problems[0]

    @property
    def rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row is not None})

    @property
    def values(self) -> list[str]:
        return list(dict.fromkeys(str(p.value) for p in self.problems if p.value is not None))

    def _texts(self, attr: str) -> str:
        texts = [getattr(p, attr) for p in self.problems]
        if len(set(texts)) == 1:
            return texts[0]
        prefix = texts[0]
        for t in texts[1:]:  # the shared wording, without the per-row details
            while not t.startswith(prefix):
                prefix = prefix[:-1]
        for cut in ("（", "(", "；", ";"):
            if cut in prefix:
                prefix = prefix[: prefix.index(cut)]
        return prefix.rstrip(" ，,：:") or texts[0]

    def message_zh(self) -> str:
        p, rows, values = self.first, self.rows, self.values
        where = Problem(p.file, None, p.column, None, p.rule, "", "", sheet=p.sheet).where_zh()
        shown = "、".join(str(r) for r in rows[:GROUP_SHOW]) + ("…" if len(rows) > GROUP_SHOW else "")
        vals = "、".join(f"“{_short(v)}”" for v in values[:GROUP_SHOW])
        vals += f" 等 {len(values)} 种" if len(values) > GROUP_SHOW else ""
        fix = f"{p.fix_zh}。" if p.fix_zh else ""
        body = f"{self._texts('zh')}，共 {len(self.problems)} 处（第{shown}行）"
        body += f"，值：{vals}" if vals else ""
        return f"{where}：{body}。{fix}" if where else f"{body}。{fix}"

    def message_en(self) -> str:
        p, rows, values = self.first, self.rows, self.values
        where = Problem(p.file, None, p.column, None, p.rule, "", "", sheet=p.sheet).where_en()
        shown = ", ".join(str(r) for r in rows[:GROUP_SHOW]) + (", …" if len(rows) > GROUP_SHOW
                                                                 else "")
        vals = ", ".join(f"'{_short(v)}'" for v in values[:GROUP_SHOW])
        vals += f" ({len(values)} distinct)" if len(values) > GROUP_SHOW else ""
        fix = f" Fix: {p.fix_en}." if p.fix_en else ""
        body = f"{self._texts('en')}: {len(self.problems)} time(s) (rows {shown})"
        body += f", values {vals}" if vals else ""
        return f"{where}: {body}.{fix}" if where else f"{body}.{fix}"

    def __str__(self) -> str:
        return f"{self.message_zh()} | {self.message_en()}"


def group_problems(problems: Iterable[Problem], *, minimum: int = GROUP_MIN
                   ) -> list[Problem | ProblemGroup]:
    """Problems for display: the same rule in the same file, sheet and column on ``minimum`` or
    more rows becomes one :class:`ProblemGroup` (at the place of its first problem); the others
    stay as they are.

    >>> ps = [Problem("s.csv", r, "得分", v, "not_numeric", "不是数字", "is not a number",
    ...               "请填写数字", "enter a number") for r, v in [(2, "九"), (3, "十"), (5, "九")]]
    >>> [g] = group_problems(ps)
    >>> print(g.message_zh())
    s.csv “得分”列：不是数字，共 3 处（第2、3、5行），值：“九”、“十”。请填写数字。
    """
    problems = list(problems)
    key = [(p.file, p.sheet, p.column, p.rule) if p.row is not None else None for p in problems]
    sizes = Counter(k for k in key if k is not None)
    out: list[Problem | ProblemGroup] = []
    done: set = set()
    for p, k in zip(problems, key, strict=True):
        if k is None or sizes[k] < minimum:
            out.append(p)
        elif k not in done:
            done.add(k)
            out.append(ProblemGroup(tuple(q for q, kk in zip(problems, key, strict=True)
                                          if kk == k)))
    return out


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class ValidationReport(Record):
    """Everything validation found, for one file or a whole dataset.

    ``notes`` are things the user should know that are not problems (a hidden sheet not read, a
    file that is not a table, decisions still marked 待确认); they do not make the report fail.
    """

    problems: tuple[Problem, ...] = ()
    counts: tuple[FileCount, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def __add__(self, other: ValidationReport) -> ValidationReport:
        return ValidationReport(self.problems + other.problems, self.counts + other.counts,
                                tuple(dict.fromkeys(self.notes + other.notes)))

    def grouped(self) -> list[Problem | ProblemGroup]:
        """The problems for display, repeated ones grouped (see :func:`group_problems`)."""
        return group_problems(self.problems)

    @classmethod
    def merge(cls, reports: Iterable[ValidationReport]) -> ValidationReport:
        out = cls()
        for r in reports:
            out = out + r
        return out

    def to_frame(self) -> pl.DataFrame:
        """The problems as a table (one row each), for display or export."""
        return pl.DataFrame(
            {
                "file": [p.file for p in self.problems],
                "sheet": [p.sheet for p in self.problems],
                "row": [p.row for p in self.problems],
                "column": [p.column for p in self.problems],
                "value": [None if p.value is None else str(p.value) for p in self.problems],
                "rule": [p.rule for p in self.problems],
                "message_zh": [p.message_zh() for p in self.problems],
                "message_en": [p.message_en() for p in self.problems],
            },
            schema={
                "file": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String,
                "value": pl.String, "rule": pl.String, "message_zh": pl.String,
                "message_en": pl.String,
            },
        )

    def summary(self) -> str:
        lines = []
        for c in self.counts:
            zh = f"{c.file}: 读取 {c.read} 行，接受 {c.accepted}，拒绝 {c.rejected}"
            en = f"read {c.read}, accepted {c.accepted}, rejected {c.rejected}"
            if c.skipped:
                zh += f"，另有 {c.skipped} 个未作答（跳过/未显示）的答案不计入"
                en += f"; {c.skipped} unanswered (skipped/not shown) answer(s) not counted"
            lines.append(f"{zh} | {en}")
        return "\n".join(lines)

    def __str__(self) -> str:
        head = self.summary()
        if self.notes:
            head = (head + "\n" if head else "") + "\n".join(
                f"说明 | note: {n}" for n in self.notes)
        if self.ok:
            return (head + "\n" if head else "") + "没有发现问题 | no problems found"
        body = "\n".join(f"- {p}" for p in self.grouped())
        n = len(self.problems)
        return (head + "\n" if head else "") + f"发现 {n} 个问题 | {n} problem(s) found:\n{body}"


class EvalToolsError(ValueError):
    """Base class of errors caused by the user's input (files, rubric, arguments).

    The CLI prints these without a traceback. ``problems`` holds every problem found.
    """

    def __init__(self, problems: Sequence[Problem] | Problem | str, en: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(None, None, None, None, "error", problems, en or problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EvalToolsWarning(UserWarning):
    """A decision evaltools took on the user's behalf (weights renormalised, a constant criterion,
    a judge fallback …). The message is Chinese and English; callers may collect these with
    ``warnings.catch_warnings(record=True)`` and show them as notes."""


class ValidationError(EvalToolsError):
    """Strict reading found problems; ``report`` holds all of them and the row counts."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.problems)

    def __str__(self) -> str:
        return str(self.report)


class RubricError(EvalToolsError):
    """The rubric (``rubric.toml``) is invalid; ``problems`` lists everything wrong with it."""


class UsageError(EvalToolsError):
    """A function or command was called with an argument outside its allowed values."""

    @classmethod
    def choice(cls, name: str, value: object, allowed: Iterable[str]) -> UsageError:
        allowed = list(allowed)
        return cls(
            Problem(
                None, None, None, value, "bad_choice",
                f"参数 {name} 不在允许的取值中（{', '.join(allowed)}）",
                f"argument {name} must be one of {allowed}",
            )
        )


def require_columns(frame: Any, columns: Iterable[str], *, what_zh: str, what_en: str,
                    fix_zh: str = "检查列名", fix_en: str = "check the column names",
                    file: str | None = None, error: type[EvalToolsError] = EvalToolsError,
                    kind_zh: str = "列", kind_en: str = "column") -> None:
    """Raise ``error`` with one ``missing_column`` problem per column of ``columns`` that the
    in-memory table ``frame`` lacks, naming the columns it has (``what``: the table, as the user
    knows it; ``kind``: what such a column is, e.g. 指标列 / criterion column). Files are checked by :mod:`evaltools.validate`, with header suggestions.

    >>> import polars as pl
    >>> try:
    ...     require_columns(pl.DataFrame({"a": [1]}), ["a", "b"], what_zh="评分表",
    ...                     what_en="the scores table")
    ... except EvalToolsError as e:
    ...     print(e.problems[0].column, "|", e.problems[0].en)
    b | the scores table has no such column (columns: a)
    """
    have = list(frame.columns)
    absent = [c for c in dict.fromkeys(columns) if c not in have]
    if absent:
        raise error([Problem(file, None, c, None, "missing_column",
                             f"{what_zh}中不存在这一{kind_zh}（现有列：{'、'.join(have)}）",
                             f"{what_en} has no such {kind_en} (columns: {', '.join(have)})",
                             fix_zh, fix_en) for c in absent])
