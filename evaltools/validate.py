"""Validation rules: every check that turns a user's cells into :class:`~evaltools.errors.Problem`\\ s.

The readers in :mod:`evaltools.io` load a file as text cells, map the user's headers onto canonical
columns and hand a *working frame* to the functions here. A working frame holds, for every
canonical column ``c`` present in the file, the typed value ``c`` and the cell text as the user
typed it ``c__text``, plus ``_row`` (the Excel row: header = row 1, first data row = row 2).
Keeping the text lets every message quote the value exactly as it appears in the file.

Each check returns a list of problems and never raises; a reader collects them all. Problems that
carry a row reject that row in lenient mode; problems without a row concern a column or the file.

All checks are vectorised polars expressions; the only Python loops run over columns, criteria or
the (few) offending rows when their problems are built. A file's checks cost a few queries
(:func:`check_rows`, issue 17): the casts in one, then one with a flag per check — true wherever
the check could find a problem — and only the flagged checks look for their rows, so a clean file
is read without one filter per rule and column.

Examples
--------
>>> work = pl.DataFrame({"_row": [2, 3], "score__text": ["8", "九"]})
>>> where = Where(file="scores.csv", table="scores", headers={"score": "得分"})
>>> work, problems = cast_columns(work, where)
>>> work["score"].to_list()
[8.0, None]
>>> print(problems[0].rule, problems[0].row, problems[0].column, problems[0].value)
not_numeric 3 得分 九
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from evaltools.engines import engine_for
from evaltools.errors import Problem
from evaltools.records import Record
from evaltools.rubric import BonusRule, DeductionRule, RatingsConfig, Rubric, VetoRule
from evaltools.schema import TABLES, normalize_header

__all__ = [
    "RULES",
    "Where",
    "cast_columns",
    "check_cross",
    "check_duplicates",
    "check_missing_cells",
    "check_rows",
    "check_table",
    "closest_header",
    "file_problem",
    "missing_column_problems",
    "tidy",
]

#: Every rule code with its Chinese and English description and fix. Messages add details
#: (allowed values, the other row of a duplicate …) to these texts.
RULES: dict[str, tuple[str, str, str, str]] = {
    "file_not_found": ("找不到文件或文件夹", "file or folder not found",
                       "请检查路径", "check the path"),
    "unreadable_encoding": ("无法识别的编码（既不是 UTF-8 也不是 GBK/GB18030）",
                            "unrecognised text encoding (neither UTF-8 nor GBK/GB18030)",
                            "请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”",
                            "in Excel use Save As 'CSV UTF-8 (comma delimited)'"),
    "unreadable_file": ("文件已损坏或不是所声明的格式", "the file is damaged or not in the format "
                        "its extension says", "请用 Excel 打开后重新另存为 .xlsx 或 .csv",
                        "open it in Excel and save it again as .xlsx or .csv"),
    "unsupported_format": ("不支持的文件类型", "unsupported file type",
                           "请使用 .csv、.xlsx 或 .parquet", "use .csv, .xlsx or .parquet"),
    "empty_file": ("文件是空的，没有表头", "the file is empty (no header row)",
                   "请在第1行填写表头，从第2行开始填写数据", "put the headers in row 1 and data from row 2"),
    "empty_sheet": ("工作表是空的", "the sheet is empty",
                    "请选择有数据的工作表", "choose the sheet that holds the data"),
    "sheet_not_found": ("找不到工作表", "sheet not found",
                        "请检查工作表名称", "check the sheet name"),
    "no_rows": ("只有表头，没有数据行", "the file has a header but no data rows",
                "请从第2行开始填写数据", "enter the data from row 2"),
    "missing_column": ("缺少必填列", "a required column is missing",
                       "请添加这一列", "add this column"),
    "duplicate_header": ("表头重复", "the header appears more than once",
                         "请删除或改名重复的列（只使用第一列）",
                         "delete or rename the repeated column (only the first is used)"),
    "ragged_row": ("这一行的单元格比表头多", "this row has more cells than the header",
                   "请检查是否多了逗号，或给多出的列补上表头",
                   "look for a stray comma, or give the extra column a header"),
    "missing_value": ("必填单元格为空", "a required cell is empty",
                      "请填写这个单元格", "fill in this cell"),
    "not_numeric": ("不是数字", "is not a number", "请填写数字（如 8 或 8.5）",
                    "enter a number such as 8 or 8.5"),
    "not_integer": ("不是整数", "is not a whole number", "请填写整数", "enter a whole number"),
    "nan_inf": ("是 NaN 或无穷大，不是有效分数", "is NaN or infinite, not a valid number",
                "请填写有限的数字", "enter a finite number"),
    "bad_datetime": ("不是可识别的日期时间", "is not a date/time evaltools can read",
                     "请写成 2024-05-01 10:01:59 或 2024/05/01 10:01:59",
                     "write it as 2024-05-01 10:01:59 or 2024/05/01 10:01:59"),
    "bad_bool": ("不是 是/否", "is not yes/no", "请填写 是 或 否", "enter 是 (yes) or 否 (no)"),
    "negative_count": ("次数不能为负数", "a count cannot be negative",
                       "请填写 0 或正整数", "enter 0 or a positive whole number"),
    "out_of_scale": ("超出评分范围", "is outside the allowed range",
                     "请检查是否录入错误", "check for a typing mistake"),
    "text_too_long": ("文字过长", "is too long",
                      "请缩短这个单元格（名称、编号不超过 200 个字符；其他文字不超过 Excel 单元格上限 "
                      "32767 个字符）", "shorten the cell (names and ids: at most 200 characters; "
                      "other text: at most 32,767, Excel's cell limit)"),
    "unknown_criterion": ("不是评分细则中的指标", "is not a criterion of the rubric",
                          "请使用评分细则中的指标编号或名称",
                          "use a criterion id or name from the rubric"),
    "duplicate_key": ("重复记录", "duplicate record", "请删除重复的一行",
                      "delete one of the two rows"),
    "unknown_unit": ("单位编号不在参评单位表中", "unit id is not in the units table",
                     "请检查编号，或在参评单位表中添加该单位", "check the id or add the unit to units"),
    "unknown_judge": ("评委编号不在评委表中", "judge id is not in the judges table",
                      "请检查编号，或在评委表中添加该评委", "check the id or add the judge to judges"),
    "unknown_entry": ("投票的作品（轮次 / 作品编号）不在作品表中", "the vote is for an entry (round / entry id) not in the entries table",
                      "请检查轮次和作品编号", "check the round and the entry id"),
    "unknown_item": ("不是评分细则中的扣分/加分/否决项", "is not a deduction, bonus or veto item "
                     "of the rubric", "请使用评分细则中的项目", "use an item named in the rubric"),
    "time_order": ("时间早于前一环节", "is earlier than the step before it",
                   "请检查日期和时间", "check the date and time"),
    "unknown_rating_label": ("不是可识别的评价", "is not a known rating",
                             "请使用评分细则中的评价选项或范围内的数字",
                             "use one of the rubric's rating labels or a number on its scale"),
    "unknown_question": ("问卷星导出中找不到这道题", "question not found in the 问卷星 export",
                         "请检查评分细则 [wjx] 中的题目文字", "check the question text in the "
                         "rubric's [wjx] section"),
    "mixed_encoding": ("文件是 UTF-8 编码，但有几行不是（多半是从 GBK 文件粘贴来的）",
                       "the file is UTF-8 but some lines are not (probably pasted from a GBK file)",
                       "重新输入这几行，再“另存为 CSV UTF-8（逗号分隔）”",
                       "retype those lines, then Save As 'CSV UTF-8 (comma delimited)'"),
    "ambiguous_unit_name": ("楼栋名称同时对得上参评单位表中的多个单位",
                            "the building name matches several units of the units table",
                            "请改填单位编号，或在参评单位表中把名称区分开",
                            "give the unit id instead, or make the names in the units table "
                            "distinct"),
    "answer_codes": ("问卷星“按序号”导出的答案是选项序号，评分细则的等级是文字，无法对应",
                     "the answers are option codes of a 问卷星 'by option number' download and "
                     "the rubric's labels are words",
                     "在 [wjx] 中按问卷选项顺序写 options = [...]，或改用“按选项文本”下载",
                     "list the options as options = [...] in [wjx], or download 'by option text'"),
    "no_tables": ("文件夹中没有可识别的数据文件", "the folder holds no recognised data files",
                  "文件名应为 units.csv、scores.xlsx 等（见 docs/data-format.md）",
                  "name files units.csv, scores.xlsx … (see docs/data-format.md)"),
    "workbook_too_large": ("工作簿解压后过大，可能已损坏，未读取", "the workbook is too large once "
                           "unpacked (possibly damaged or a zip bomb); not read",
                           "请在 Excel 中打开，删除多余的行列后另存为 .xlsx",
                           "open it in Excel, delete the unused rows and columns and save again"),
    "sheet_too_large": ("工作表的已用区域过大（可能有单元格被误填在很远的位置），未读取",
                        "the sheet's used range is too large (a cell far away, e.g. at XFD1048576); "
                        "not read", "请在 Excel 中删除表格以外的行列后保存",
                        "delete the rows and columns beyond the table in Excel and save"),
    "several_sheets": ("工作簿有多张可见的工作表，只读其中一张会漏掉其余的", "the workbook has several "
                       "visible sheets; reading one of them would leave out the others",
                       "请用 --sheet 指定要读的工作表；若每张表是一位评委的评分，请把工作簿放进数据文件夹"
                       "（evaltools init），按评委分表全部读取",
                       "name the sheet with --sheet; if each sheet is one judge's scores, put the "
                       "workbook in a dataset folder (evaltools init) to read every sheet"),
    "legacy_xls": ("旧版 Excel 97-2003 格式（.xls）不能直接读取", "legacy Excel 97-2003 format "
                   "(.xls) is not read", "请在 Excel 中打开，选择 文件 → 另存为 → “Excel 工作簿 "
                   "(*.xlsx)”，再把新文件放进文件夹", "open it in Excel, File → Save As → "
                   "'Excel Workbook (*.xlsx)', and use the new file"),
    "formula_without_value": ("公式没有保存计算结果（文件不是由 Excel 保存的），无法读取其值",
                              "a formula has no cached value (the file was not saved by Excel), "
                              "so its value cannot be read",
                              "请在 Excel 中打开并保存一次，或把公式改为数值",
                              "open and save the file in Excel once, or replace the formula by "
                              "its value"),
    "error_cell": ("单元格是 Excel 错误值", "the cell holds an Excel error",
                   "请修正该单元格的公式或填写分数", "fix the cell's formula or type the score"),
    "total_mismatch": ("合计与各指标得分之和不符", "the total does not equal the sum of the "
                       "criteria", "请核对评委的计算（evaltools 不会自动改正合计）",
                       "check the judge's arithmetic (evaltools does not recompute it silently)"),
    "sheet_header_differs": ("该工作表的表头与同一工作簿中其他工作表不同",
                             "this sheet's header differs from the other sheets of the workbook",
                             "请核对表头，确认该表是否应一起计分",
                             "check the header and whether this sheet belongs with the others"),
    "duplicate_judge_sheet": ("同一位评委有两张评分表", "two sheets for the same judge",
                              "请删除重复或过期的一张，或改正工作表名称",
                              "delete the stale copy or correct the sheet name"),
    "no_judge": ("表中没有评委列，工作表名和文件名也不像评委", "the sheet has no judge column and "
                 "neither its sheet name nor its file name names a judge",
                 "请添加“评委”列，或把工作表改名为评委（如 张伟）",
                 "add a 评委 column, or name the sheet after the judge"),
    "header_max_differs": ("表头中的满分与评分细则不一致", "the maximum in the header differs from "
                           "the rubric", "请核对评分细则中的 scale / max_points",
                           "check scale / max_points in the rubric"),
    "unknown_unit_name": ("楼栋名称与参评单位表中的任何名称都对不上", "the building name matches no "
                          "name in the units table", "请改正名称，或在参评单位表中添加该楼栋",
                          "correct the name or add the building to the units table"),
    "no_score_sheet": ("工作簿中没有一张可读的评分表", "no sheet of the workbook holds a score "
                       "table", "请检查工作表（说明中列出了每张表跳过的原因）",
                       "check the sheets (the notes give each sheet's reason for being skipped)"),
    "correction_without_reason": ("与上一版公示相比结果有变化，但更正记录中没有这个单位的更正理由",
                                  "differs from the previous publication, but the corrections "
                                  "table records no reason for this unit",
                                  "请在更正记录（corrections.csv / 更正记录.csv）中为该单位添加一行："
                                  "单位编号、更正项目、原值、更正值、理由、日期",
                                  "add a row for the unit to the corrections table "
                                  "(corrections.csv): unit, item, before, after, reason, date"),
    "ambiguous_table": ("同一张表有多个文件", "more than one file for the same table",
                        "请只保留一个", "keep only one"),
}


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class Where(Record):
    """Where the cells being checked come from: file, sheet, table and the user's headers."""

    file: str | None
    table: str
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # canonical name -> header as typed

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def _p(where: Where, row, column, value, rule, *, zh: str = "", en: str = "",
       fix_zh: str = "", fix_en: str = "") -> Problem:
    base_zh, base_en, base_fix_zh, base_fix_en = RULES[rule]
    return Problem(
        file=where.file, row=row, column=column, value=value, rule=rule,
        zh=base_zh + zh, en=base_en + en,
        fix_zh=fix_zh or base_fix_zh, fix_en=fix_en or base_fix_en, sheet=where.sheet,
    )


def file_problem(where: Where, rule: str, *, column: str | None = None, value: object = None,
                 zh: str = "", en: str = "", fix_zh: str = "", fix_en: str = "") -> Problem:
    """A problem about the whole file or a whole column (no row)."""
    return _p(where, None, column, value, rule, zh=zh, en=en, fix_zh=fix_zh, fix_en=fix_en)


def _row_problems(where: Where, bad: pl.DataFrame, rule: str, *, column: str,
                  value_col: str, header_col: str | None = None, zh: str = "", en: str = "",
                  fix_zh: str = "", fix_en: str = "", detail_col: str | None = None
                  ) -> list[Problem]:
    """One problem per row of ``bad`` (a frame of offending rows only)."""
    if bad.is_empty():
        return []
    rows = bad["_row"].to_list()
    values = bad[value_col].to_list()
    heads = bad[header_col].to_list() if header_col else [column] * len(rows)
    details = bad[detail_col].to_list() if detail_col else [("", "")] * len(rows)
    out = []
    for r, v, h, d in zip(rows, values, heads, details, strict=True):
        dz, de = d if isinstance(d, tuple) else (d["zh"], d["en"])
        out.append(_p(where, r, h, v, rule, zh=zh + dz, en=en + de, fix_zh=fix_zh,
                      fix_en=fix_en))
    return out


def tidy(problems: Iterable[Problem]) -> list[Problem]:
    """Drop repeated problems (a wide row yields one long row per criterion) and order them:
    file-level problems first, then by Excel row (stable, so columns keep their order)."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file or "", p.row is not None, p.row or 0))


# --------------------------------------------------------------------------- header checks


def closest_header(header: str, candidates: Iterable[str], *, cutoff: float = 0.5) -> str | None:
    """The candidate closest to ``header`` (difflib ratio on normalised text), or None.

    >>> closest_header("得份", ["得分", "分数", "评分"])
    '得分'
    >>> closest_header("备注", ["得分", "unit_id"]) is None
    True
    """
    import difflib  # only when a header is missing: not on a clean read's import

    cands = list(candidates)
    norm = {normalize_header(c): c for c in cands}
    hit = difflib.get_close_matches(normalize_header(header), list(norm), n=1, cutoff=cutoff)
    return norm[hit[0]] if hit else None


def missing_column_problems(where: Where, missing: Sequence[str], unmatched: Sequence[str]
                            ) -> list[Problem]:
    """Problems for required canonical columns that no header maps to.

    For each, the closest unmatched header among the column's aliases is suggested
    ("您是不是想写 得分？"); otherwise the accepted headers are listed.
    """
    import difflib

    spec = TABLES[where.table]
    out = []
    for name in missing:
        col = spec.column(name)
        accepted = [col.label, *col.aliases[1:], col.name]
        best, best_alias, best_ratio = None, None, 0.0
        for h in unmatched:
            alias = closest_header(h, accepted, cutoff=0.5)
            if alias is not None:
                ratio = difflib.SequenceMatcher(None, normalize_header(h),
                                                normalize_header(alias)).ratio()
                if ratio > best_ratio:
                    best, best_alias, best_ratio = h, alias, ratio
        listed = "、".join(dict.fromkeys(accepted))
        if best is not None:
            out.append(_p(where, None, col.label, None, "missing_column",
                          zh=f"（{col.label} / {name}），表头 “{best}” 可能写错了",
                          en=f" ({name}); the header '{best}' looks like a typo",
                          fix_zh=f"您是不是想写 {best_alias}？请把表头 “{best}” 改为 “{best_alias}”",
                          fix_en=f"did you mean {best_alias}? Rename the header '{best}' to "
                          f"'{best_alias}'"))
        else:
            out.append(_p(where, None, col.label, None, "missing_column",
                          zh=f"（{col.label} / {name}）",
                          en=f" ({name})",
                          fix_zh=f"请添加一列，表头可写：{listed}",
                          fix_en=f"add a column headed one of: {listed}"))
    return out


# --------------------------------------------------------------------------- casting

_TRUE = ["是", "有", "true", "yes", "y", "1", "√", "对"]
_FALSE = ["否", "无", "没有", "false", "no", "n", "0", "×", "x", "不是"]
_DT_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
DTYPES: dict[str, pl.DataType] = {"str": pl.String(), "int": pl.Int64(), "float": pl.Float64(),
                                  "datetime": pl.Datetime("us"), "bool": pl.Boolean()}


def parse_datetime(text: pl.Expr) -> pl.Expr:
    """Parse the date/time spellings users type (2024-05-01 10:01:59, 2024/5/1 9:01, 2024年5月1日).

    >>> s = pl.Series(["2024/05/01 10:01:59", "2024-5-1 9:01", "2024年5月1日", "明天"])
    >>> pl.select(parse_datetime(pl.lit(s))).to_series().to_list()  # doctest: +NORMALIZE_WHITESPACE
    [datetime.datetime(2024, 5, 1, 10, 1, 59), datetime.datetime(2024, 5, 1, 9, 1),
     datetime.datetime(2024, 5, 1, 0, 0), None]
    """
    t = (text.str.strip_chars()
         .str.replace_all("/", "-", literal=True)
         .str.replace_all("年", "-", literal=True)
         .str.replace_all("月", "-", literal=True)
         .str.replace_all("日", " ", literal=True)
         .str.replace("T", " ", literal=True)
         .str.strip_chars())
    return pl.coalesce([t.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DT_FORMATS])


def _cast_expr(text: pl.Expr, kind: str) -> pl.Expr:
    if kind == "str":
        return text
    if kind == "float":
        f = text.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if kind == "int":
        f = text.cast(pl.Float64, strict=False)
        # beyond int64 (1e19) is not a whole number evaltools can hold: null → not_integer
        fits = f.is_finite() & (f == f.round(0)) & (f.abs() < 2.0 ** 63)
        return pl.coalesce(text.cast(pl.Int64, strict=False),
                           pl.when(fits).then(f).cast(pl.Int64, strict=False))
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "bool":
        low = text.str.to_lowercase()
        return (pl.when(low.is_in(_TRUE)).then(True)
                .when(low.is_in(_FALSE)).then(False).otherwise(None).cast(pl.Boolean))
    raise ValueError(kind)


#: The spellings of nearly every date/time in real files (with fractions of a second when an
#: export writes them); :func:`parse_datetime` reads the same instant from every text these
#: formats read (tested), so one of them is tried first, alone (≈ 15× faster).
_DT_USUAL = "%Y-%m-%d %H:%M:%S"
_DT_USUAL_FRACTION = "%Y-%m-%d %H:%M:%S%.f"


def _quick_cast_expr(text: pl.Expr, kind: str, sample: object = None) -> pl.Expr:
    """:func:`_cast_expr`, except that date/times are read in the usual format only (with
    fractions when ``sample``, the column's first cell, has a "."): where that leaves a cell
    null, :func:`_cast` reads the column again with :func:`parse_datetime`."""
    if kind == "datetime":
        usual = _DT_USUAL_FRACTION if isinstance(sample, str) and "." in sample else _DT_USUAL
        return text.str.strptime(pl.Datetime("us"), usual, strict=False)
    return _cast_expr(text, kind)


#: A check that may find problems: ``(flag, detail)``. ``flag`` is a boolean expression that is
#: true somewhere whenever ``detail()`` would find a problem (it may be true when it finds none);
#: all the flags of a file are computed in one query, and ``detail`` runs only where one is
#: true (None: always). Details run in list order, which is the order of the problems.
Check = tuple["pl.Expr | None", Callable[[], list[Problem]]]


def _flagged(work: pl.DataFrame, flags: Sequence[pl.Expr | None]) -> list[bool]:
    """Which flags are true somewhere in ``work``, in one query (None is always true)."""
    exprs = {f"f{i}": e.any() for i, e in enumerate(flags) if e is not None}
    row = work.select(**exprs).row(0, named=True) if exprs and work.height else {}
    return [True if e is None else bool(row.get(f"f{i}", False)) for i, e in enumerate(flags)]


def _cast_and_flag(cast: pl.LazyFrame, flags_of: Callable[[pl.DataFrame], list[pl.Expr | None]],
                   engine: Literal["in-memory", "auto"] = "in-memory",
                   ) -> tuple[pl.DataFrame, list[bool]]:
    """The frame ``cast`` computes and which of its flags are true somewhere, in one query
    (:func:`_flagged` after a collect is two). The flags are built on an empty frame with the
    schema of ``cast`` (they depend on its columns, not on its values)."""
    schema = cast.collect_schema()
    flags = flags_of(pl.DataFrame(schema=schema))
    names = {f"__flag{i}__": e.any() for i, e in enumerate(flags) if e is not None}
    if any(n in schema for n in names):  # a column of the user's has that name: two queries
        work = cast.collect(engine=engine)
        return work, _flagged(work, flags_of(work))
    out = cast.with_columns(**names).collect(engine=engine)
    row = {n: out.get_column(n)[0] for n in names} if out.height else {}
    work = pl.DataFrame([out.get_column(c) for c in schema])
    return work, [True if e is None else bool(row.get(f"__flag{i}__", False))
                  for i, e in enumerate(flags)]


def _cast_failed(col: str) -> pl.Expr:
    return pl.col(f"{col}__text").is_not_null() & pl.col(col).is_null()


def _cast(work: pl.DataFrame, where: Where, more: Callable[[pl.DataFrame], list[Check]],
          extra: Sequence[pl.Expr] = ()) -> tuple[pl.DataFrame, list[Problem]]:
    """Cast (:func:`cast_columns`), then add ``extra`` columns, flag the casts that failed and
    the checks ``more(work)`` in one query, and build the problems of the flagged ones."""
    spec = TABLES[where.table]
    present = [c for c in spec.columns if f"{c.name}__text" in work.columns]
    first = work.row(0, named=True) if work.height else {}
    cast = (work.lazy().with_columns(_quick_cast_expr(pl.col(f"{c.name}__text"), c.kind,
                                                      first.get(f"{c.name}__text"))
                                     .alias(c.name) for c in present)
            .with_columns(extra))
    typed = [c for c in present if c.kind != "str"]
    work, flags = _cast_and_flag(cast, lambda w: [*(_cast_failed(c.name) for c in typed),
                                                  *(f for f, _ in more(w))],
                                 engine_for(work.height))
    checks = more(work)
    # date/times not in the usual format: the column is read again by every spelling
    again = [c for c, failed in zip(typed, flags, strict=False) if failed and c.kind == "datetime"]
    if again:
        work = work.with_columns(parse_datetime(pl.col(f"{c.name}__text")).alias(c.name)
                                 for c in again)
        checks = more(work)
        flags = _flagged(work, [*(_cast_failed(c.name) for c in typed), *(f for f, _ in checks)])
    problems = _cast_problems(work, where, [c for c, f in zip(typed, flags, strict=False) if f])
    for (_, detail), flag in zip(checks, flags[len(typed):], strict=True):
        if flag:
            problems += detail()
    return work, problems


def cast_columns(work: pl.DataFrame, where: Where) -> tuple[pl.DataFrame, list[Problem]]:
    """Add the typed column ``c`` for every ``c__text`` column; report cells whose cast failed.

    The value in each problem is the cell text as typed. Empty cells stay missing (null) and are
    not a cast failure (required cells are checked by :func:`check_missing_cells`).
    """
    return _cast(work, where, lambda _work: [])


def _cast_problems(work: pl.DataFrame, where: Where, failed_columns: Sequence) -> list[Problem]:
    """The problems of the columns ``failed_columns`` (schema columns) whose cast failed."""
    problems: list[Problem] = []
    for col in failed_columns:
        src = f"{col.name}__text"
        head = where.header(col.name)
        header_col = f"{col.name}__header" if f"{col.name}__header" in work.columns else None
        failed = work.filter(pl.col(src).is_not_null() & pl.col(col.name).is_null())
        if failed.is_empty():
            continue
        if col.kind in ("float", "int"):
            f = pl.col(src).cast(pl.Float64, strict=False)
            groups = [
                ("nan_inf", f.is_nan() | f.is_infinite()),
                ("not_integer", f.is_finite()),
                ("not_numeric", f.is_null()),
            ]
        elif col.kind == "datetime":
            groups = [("bad_datetime", pl.lit(True))]
        else:
            groups = [("bad_bool", pl.lit(True))]
        for rule, cond in groups:
            problems += _row_problems(where, failed.filter(cond), rule, column=head,
                                      value_col=src, header_col=header_col)
    return problems


def _missing_checks(work: pl.DataFrame, where: Where) -> list[Check]:
    checks: list[Check] = []
    for name in TABLES[where.table].required:
        src = f"{name}__text"
        if src not in work.columns:
            continue
        header_col = f"{name}__header" if f"{name}__header" in work.columns else None

        def detail(src: str = src, name: str = name, header_col: str | None = header_col
                   ) -> list[Problem]:
            bad = work.filter(pl.col(src).is_null())
            return _row_problems(where, bad, "missing_value", column=where.header(name),
                                 value_col=src, header_col=header_col)

        checks.append((pl.col(src).is_null(), detail))
    return checks


def _run(work: pl.DataFrame, checks: list[Check]) -> list[Problem]:
    """The problems of ``checks``: their flags in one query, the details of the flagged ones."""
    problems: list[Problem] = []
    for (_, detail), flag in zip(checks, _flagged(work, [f for f, _ in checks]), strict=True):
        if flag:
            problems += detail()
    return problems


def check_missing_cells(work: pl.DataFrame, where: Where) -> list[Problem]:
    """Required cells left empty."""
    return _run(work, _missing_checks(work, where))


def check_duplicates(work: pl.DataFrame, where: Where) -> list[Problem]:
    """Rows repeating the table's key (e.g. same round/unit/judge/criterion); names both rows.

    The first occurrence is kept; every later one is a problem (and rejected in lenient mode).
    """
    return _run(work, _duplicate_checks(work, where))


def _duplicate_checks(work: pl.DataFrame, where: Where) -> list[Check]:
    key = TABLES[where.table].key
    if not key or not all(k in work.columns for k in key):
        return []
    # keys are text and integers: equal structs are equal keys (one hash pass, no window)
    flag = pl.struct(key).is_duplicated() & pl.all_horizontal(pl.col(k).is_not_null()
                                                                for k in key)
    return [(flag, lambda: _duplicates(work, where, key))]


def _duplicates(work: pl.DataFrame, where: Where, key: Sequence[str]) -> list[Problem]:
    first = pl.col("_row").first().over(key)
    dup = (work.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in key))
           .with_columns(_first=first, _n=pl.int_range(pl.len()).over(key))
           .filter(pl.col("_n") > 0)
           .with_columns(
               _key=pl.concat_str([pl.col(f"{k}__text") for k in key], separator=" / "),
               _detail=pl.struct(
                   zh=pl.format("（与第{}行相同：{}）", "_first",
                                pl.lit(" / ".join(where.header(k) for k in key))),
                   en=pl.format(" (same as row {}: {})", "_first",
                                pl.lit(" / ".join(where.header(k) for k in key))),
               ))
           .sort("_row"))
    return _row_problems(where, dup, "duplicate_key", column=where.header(key[-1]),
                         value_col="_key", detail_col="_detail")


# --------------------------------------------------------------------------- table rules


def _fmt(x: float) -> str:
    return f"{x:g}"


def _criterion_lookup(rubric: Rubric) -> dict[str, str]:
    """Normalised criterion id or Chinese name -> criterion id."""
    out: dict[str, str] = {}
    for c in rubric.criteria:
        out.setdefault(normalize_header(c.id), c.id)
        out.setdefault(normalize_header(c.name), c.id)
    return out


def _canonical_expr(rubric: Rubric) -> pl.Expr:
    """The ``criterion`` column with criterion names (环境卫生) replaced by their ids."""
    lookup = _criterion_lookup(rubric)
    norm = (pl.col("criterion").str.to_lowercase().str.replace_all(r"\s+", ""))
    return norm.replace_strict(lookup, default=pl.col("criterion"), return_dtype=pl.String)


def _canonical_criteria(work: pl.DataFrame, rubric: Rubric) -> pl.DataFrame:
    """Replace criterion names (环境卫生) by their ids, so scores always carry ids."""
    return work.with_columns(criterion=_canonical_expr(rubric))


#: Largest |score| accepted for a criterion with neither a scale nor points (no real score is
#: near it; 1e308 would publish totals of inf).
MAX_ABS_SCORE = 1e12


def _score_range(c, rubric: Rubric) -> tuple:
    """(criterion, low, high, detail) a judge's score on ``c`` must lie in: its ``scale``; else
    0 … ``max_points`` when the judges score in points (method points, no scale); else
    ±MAX_ABS_SCORE."""
    if c.scale:
        lo, hi = float(c.scale[0]), float(c.scale[1])
        return (c.id, lo, hi, {"zh": f"（{_fmt(lo)}～{_fmt(hi)}）",
                               "en": f" ({_fmt(lo)} to {_fmt(hi)})"})
    if c.max_points is not None and rubric.method == "points":
        hi = float(c.max_points)
        return (c.id, 0.0, hi, {"zh": f"（0～{_fmt(hi)}，满分 max_points = {_fmt(hi)}）",
                                "en": f" (0 to {_fmt(hi)}; max_points = {_fmt(hi)})"})
    return (c.id, -MAX_ABS_SCORE, MAX_ABS_SCORE,
            {"zh": f"（绝对值不能超过 {MAX_ABS_SCORE:g}）",
             "en": f" (its size must not exceed {MAX_ABS_SCORE:g})"})


def _score_checks(work: pl.DataFrame, where: Where, rubric: Rubric | None) -> list[Check]:
    """The rubric's rules on scores whose criteria are canonical (:func:`_canonical_criteria`)."""
    if rubric is None or "criterion" not in work.columns:
        return []
    checks: list[Check] = []
    judged = [c for c in rubric.criteria if c.source == "judges"] or list(rubric.criteria)
    allowed = [c.id for c in judged]
    listed = "、".join(f"{c.id}（{c.name}）" for c in judged)
    unknown = pl.col("criterion").is_not_null() & ~pl.col("criterion").is_in(allowed)

    def unknown_criteria() -> list[Problem]:
        bad = work.filter(unknown)
        header_col = "criterion__header" if "criterion__header" in work.columns else None
        return _row_problems(where, bad, "unknown_criterion", column=where.header("criterion"),
                             value_col="criterion__text", header_col=header_col,
                             zh=f"；可用的指标：{listed}", en=f"; allowed: {', '.join(allowed)}")

    checks.append((unknown, unknown_criteria))
    scales = [_score_range(c, rubric) for c in judged]
    if "score" in work.columns and scales:

        def out_of_scale() -> list[Problem]:
            sc = pl.DataFrame(
                scales, orient="row",
                schema={"criterion": pl.String, "_lo": pl.Float64, "_hi": pl.Float64,
                        "_detail": pl.Struct({"zh": pl.String, "en": pl.String})})
            out = (work.join(sc, on="criterion", how="inner")
                   .filter((pl.col("score") < pl.col("_lo")) | (pl.col("score") > pl.col("_hi")))
                   .sort("_row"))
            header_col = "score__header" if "score__header" in work.columns else None
            return _row_problems(where, out, "out_of_scale", column=where.header("score"),
                                 value_col="score__text", header_col=header_col,
                                 detail_col="_detail")

        # each row's own range (the narrowest, were an id listed twice): rows whose criterion
        # has none get null bounds, as the inner join drops them
        lows: dict[str, float] = {}
        highs: dict[str, float] = {}
        for cid, lo, hi, _ in scales:
            lows[cid] = max(lo, lows.get(cid, lo))
            highs[cid] = min(hi, highs.get(cid, hi))
        low = pl.col("criterion").replace_strict(lows, default=None, return_dtype=pl.Float64)
        high = pl.col("criterion").replace_strict(highs, default=None, return_dtype=pl.Float64)
        checks.append(((pl.col("score") < low) | (pl.col("score") > high), out_of_scale))
    return checks


def _rating_checks(work: pl.DataFrame, where: Where, rubric: Rubric | None) -> list[Check]:
    if "rating" not in work.columns:
        return []
    cfg = rubric.ratings if rubric is not None else RatingsConfig()
    lo, hi = cfg.scale
    num = pl.col("rating").cast(pl.Float64, strict=False)
    labels = list(cfg.labels)
    known = (pl.col("rating").is_in(labels) | num.is_between(lo, hi).fill_null(False)
             | pl.col("rating").str.contains("┋", literal=True))
    checked = pl.lit(True)
    if rubric is not None and "item" in work.columns:
        rated = [c for c in rubric.criteria if c.source == "ratings"]
        if rated and all(c.items for c in rated):
            # only items that feed a ratings criterion must be ratings; others (multi-select,
            # free text) are kept as text
            checked = pl.col("item").is_in([i for c in rated for i in c.items])
    answered = pl.col("rating").is_not_null() & checked
    flag = answered & ~known
    # the check's flag leaves out multi-select answers (┋): looking for that character in every
    # answer costs as much as the rest of the check, and an answer holding it only runs detail
    quick = answered & ~pl.col("rating").is_in(labels) & ~num.is_between(lo, hi).fill_null(False)

    def detail() -> list[Problem]:
        bad = work.filter(flag)
        listed = "、".join(labels)
        header_col = "rating__header" if "rating__header" in work.columns else None
        return _row_problems(where, bad, "unknown_rating_label", column=where.header("rating"),
                             value_col="rating__text", header_col=header_col,
                             zh=f"；可用：{listed}，或 {_fmt(lo)}～{_fmt(hi)} 的数字",
                             en=f"; allowed: {', '.join(labels)} or a number from {_fmt(lo)} "
                             f"to {_fmt(hi)}")

    return [(quick, detail)]


_TICKET_STEPS = (
    ("dispatched_at", "received_at"),
    ("accepted_at", "received_at"),
    ("responded_at", "received_at"),
    ("resolved_at", "received_at"),
    ("accepted_at", "dispatched_at"),
)


def _ticket_checks(work: pl.DataFrame, where: Where) -> list[Check]:
    steps = [(late, early) for late, early in _TICKET_STEPS
             if late in work.columns and early in work.columns]
    if not steps:
        return []
    flag = pl.any_horizontal(pl.col(late) < pl.col(early) for late, early in steps)
    return [(flag, lambda: _ticket_problems(work, where))]


def _ticket_problems(work: pl.DataFrame, where: Where) -> list[Problem]:
    problems: list[Problem] = []
    for late, early in _TICKET_STEPS:
        if late not in work.columns or early not in work.columns:
            continue
        bad = work.filter(pl.col(late) < pl.col(early))
        e_head = where.header(early)
        problems += _row_problems(
            where, bad.with_columns(_detail=pl.struct(
                zh=pl.format("（{}：{}）", pl.lit(e_head), pl.col(f"{early}__text")),
                en=pl.format(" ({}: {})", pl.lit(e_head), pl.col(f"{early}__text")))),
            "time_order", column=where.header(late), value_col=f"{late}__text",
            detail_col="_detail",
            fix_zh=f"“{where.header(late)}”应不早于“{e_head}”",
            fix_en=f"'{where.header(late)}' must not be earlier than '{e_head}'")
    return sorted(problems, key=lambda p: (p.row, p.column))


def _deduction_checks(work: pl.DataFrame, where: Where, rubric: Rubric | None) -> list[Check]:
    checks: list[Check] = []
    if "count" in work.columns:
        negative = pl.col("count") < 0
        checks.append((negative, lambda: _row_problems(
            where, work.filter(negative), "negative_count", column=where.header("count"),
            value_col="count__text")))
    if rubric is not None and "item" in work.columns:
        rules: list[DeductionRule | BonusRule | VetoRule] = [
            *rubric.deductions, *rubric.bonuses, *rubric.vetoes]
        allowed = [r.item for r in rules] + [r.name for r in rules if r.name]
        if rules:
            unknown = pl.col("item").is_not_null() & ~pl.col("item").is_in(allowed)
            listed = "、".join(dict.fromkeys(r.item for r in rules))
            checks.append((unknown, lambda: _row_problems(
                where, work.filter(unknown), "unknown_item", column=where.header("item"),
                value_col="item__text", zh=f"；可用：{listed}", en=f"; allowed: {listed}")))
    return checks


#: Longest name or id (unit, judge, criterion, street …) accepted, in characters.
MAX_NAME_CHARS = 200
#: Longest free text accepted: Excel's cell limit (it silently cuts longer text).
MAX_TEXT_CHARS = 32_767
_NAME_COLUMNS = frozenset({"name", "street", "community", "courtyard", "criterion", "item",
                           "category", "channel", "status", "role", "title"})


def check_text_length(work: pl.DataFrame, where: Where) -> list[Problem]:
    """Cells longer than their limit: :data:`MAX_NAME_CHARS` for names and ids (``*_id``,
    ``name``, ``street`` …), :data:`MAX_TEXT_CHARS` (Excel's cell limit) for other text,
    including columns evaltools does not use. Runs before any scoring or publishing, so a
    100,000-character name stops here instead of slowing every later step."""
    return _run(work, _length_checks(work, where))


def _length_checks(work: pl.DataFrame, where: Where) -> list[Check]:
    checks: list[Check] = []
    canonical = {c.name for c in TABLES[where.table].columns}
    for col, dtype in work.schema.items():
        if col.startswith("_") or col.endswith("__header") or dtype != pl.String:
            continue
        name = col.removesuffix("__text")
        if name == col and name in canonical:  # the typed copy of a __text column
            continue
        short = name != col and (name.endswith("_id") or name in _NAME_COLUMNS)
        limit = MAX_NAME_CHARS if short else MAX_TEXT_CHARS

        def detail(col: str = col, name: str = name, limit: int = limit) -> list[Problem]:
            n = pl.col(col).str.len_chars()
            bad = work.filter(n > limit)
            if bad.is_empty():
                return []
            bad = bad.with_columns(_detail=pl.struct(
                zh=pl.format("（{} 个字符，上限 {} 个）", n, pl.lit(limit)),
                en=pl.format(" ({} characters; the limit is {})", n, pl.lit(limit))))
            header_col = f"{name}__header" if f"{name}__header" in work.columns else None
            return _row_problems(where, bad, "text_too_long", column=where.header(name),
                                 value_col=col, header_col=header_col, detail_col="_detail")

        # a cell has at least as many bytes as characters: bytes are counted without decoding
        checks.append((pl.col(col).str.len_bytes() > limit, detail))
    return checks


def _table_checks(work: pl.DataFrame, where: Where, rubric: Rubric | None) -> list[Check]:
    """Every per-file rule after casting, in the order of their problems: text length, the
    table's own rules, then duplicates on the key. Scores' criteria must be canonical."""
    checks = _length_checks(work, where)
    if where.table == "scores":
        checks += _score_checks(work, where, rubric)
    elif where.table == "ratings":
        checks += _rating_checks(work, where, rubric)
    elif where.table == "tickets":
        checks += _ticket_checks(work, where)
    elif where.table == "deductions":
        checks += _deduction_checks(work, where, rubric)
    return checks + _duplicate_checks(work, where)


def check_table(work: pl.DataFrame, where: Where, rubric: Rubric | None = None
                ) -> tuple[pl.DataFrame, list[Problem]]:
    """All per-file rules after casting: text length, table-specific checks, then duplicates on
    the key."""
    if where.table == "scores" and rubric is not None and "criterion" in work.columns:
        work = _canonical_criteria(work, rubric)
    return work, _run(work, _table_checks(work, where, rubric))


def check_rows(work: pl.DataFrame, where: Where, rubric: Rubric | None = None
               ) -> tuple[pl.DataFrame, list[Problem]]:
    """:func:`cast_columns`, :func:`check_missing_cells` and :func:`check_table` in that order,
    with the same problems, in a few queries: the casts (and canonical criteria) in one, then
    one that tells which checks can find anything; only those look for their rows."""
    extra = []
    if where.table == "scores" and rubric is not None:
        if "criterion__text" in work.columns:  # the few distinct names, not every row
            names = work.get_column("criterion__text").unique().drop_nulls()
            ids = pl.DataFrame({"criterion": names}).select(_canonical_expr(rubric)).to_series()
            extra = [pl.col("criterion").replace(names, ids)]
        elif "criterion" in work.columns:
            extra = [_canonical_expr(rubric).alias("criterion")]

    def checks(w: pl.DataFrame) -> list[Check]:
        return [*_missing_checks(w, where), *_table_checks(w, where, rubric)]

    return _cast(work, where, checks, extra)


# --------------------------------------------------------------------------- cross-file rules

UNIT_TABLES = ("scores", "deductions", "ratings", "tickets", "entries", "corrections")


def check_cross(works: dict[str, tuple[pl.DataFrame, Where]], *, only: str | None = None,
                units_known: bool = False) -> list[Problem]:
    """Ids that must exist in another table: units, judges, entries (after per-file checks).

    ``only``: check the ids of that table alone (the reference tables in ``works`` are checked
    in their own call), instead of every table in ``works``. ``units_known``: the unit ids of
    ``only`` are known to be the units table's (:func:`evaltools.io.resolve_units` looked), so
    they are not looked up again."""
    problems: list[Problem] = []
    units = works.get("units")
    checked = [t for t in UNIT_TABLES if t in works and "unit_id" in works[t][0].columns
               and only in (None, t) and not (units_known and only == t)]
    if units is not None and "unit_id" in units[0].columns and checked:
        known = units[0]["unit_id"].drop_nulls().unique()
        for table in checked:
            work, where = works[table]
            unknown = (pl.col("unit_id").is_not_null()
                       & ~pl.col("unit_id").is_in(known.implode()))
            if not _flagged(work, [unknown])[0]:  # the usual case: one query, no rows
                continue
            bad = work.filter(unknown).unique("_row", keep="first", maintain_order=True)
            problems += _row_problems(where, bad, "unknown_unit", column=where.header("unit_id"),
                                      value_col="unit_id__text",
                                      zh=f"（{units[1].file}）", en=f" ({units[1].file})")
    judges = works.get("judges")
    if (judges is not None and "scores" in works and "judge_id" in judges[0].columns
            and only in (None, "scores")):
        work, where = works["scores"]
        if "judge_id" in work.columns:
            known = judges[0]["judge_id"].drop_nulls().unique()
            unknown = (pl.col("judge_id").is_not_null()
                       & ~pl.col("judge_id").is_in(known.implode()))
            bad = (work.filter(unknown).unique("_row", keep="first", maintain_order=True)
                   if _flagged(work, [unknown])[0] else work.clear())
            problems += _row_problems(where, bad, "unknown_judge",
                                      column=where.header("judge_id"),
                                      value_col="judge_id__text",
                                      zh=f"（{judges[1].file}）", en=f" ({judges[1].file})")
    entries = works.get("entries")
    if entries is not None and "votes" in works and only in (None, "votes"):
        work, where = works["votes"]
        key = ["round", "entry_id"]
        if all(k in work.columns for k in key) and all(k in entries[0].columns for k in key):
            known_entries = entries[0].select(key).drop_nulls().unique()
            bad = (work.filter(pl.col("entry_id").is_not_null())
                   .join(known_entries, on=key, how="anti", nulls_equal=False))
            if bad.height:  # the usual case has none: no sort, no values to quote
                bad = bad.sort("_row").with_columns(_v=pl.concat_str(
                    [pl.col("round__text"), pl.col("entry_id__text")], separator=" / "))
                problems += _row_problems(where, bad, "unknown_entry",
                                          column=where.header("entry_id"), value_col="_v",
                                          zh=f"（{entries[1].file}）",
                                          en=f" ({entries[1].file})")
    return problems
