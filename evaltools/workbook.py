"""Judges' score workbooks as people make them in Excel, read into the canonical ``scores`` table.

One job (~750 lines because each sheet shape has its own detection): finding the table in a
sheet and turning it into rows of ``scores``, with every cell traceable to file, sheet and row.

The shapes understood (pictures in ``docs/data-format.md``):

* one sheet per judge (the sheet name is the judge), one workbook per judge (the file name is the
  judge), one sheet per round (``第2轮``), or one long / wide sheet with 评委 and 轮次 columns;
* title rows and merged cells above the header (the header row is found, not assumed to be row 1),
  a 序号 column, 合计 / 总分 columns (checked against the sum of the criteria, never recomputed),
  备注 kept, 签字 / 日期 lines under the table ignored with a note;
* criterion headers carrying their maximum (``环境卫生（30分）``, ``环境卫生(30分)``,
  ``环境卫生 30分``, ``环境卫生\\n满分30``, see :func:`evaltools.schema.split_criterion_header`);
* buildings by id (楼栋编号) or by name (楼栋名称, matched to the units table with
  :mod:`evaltools.unitnames`).

Every sheet of every workbook is read or listed as skipped with its reason (hidden sheets are
reported, not read); a formula cell without a cached value and an Excel error cell (``#DIV/0!``)
are reported naming the cell; two sheets for the same judge are an error; a sheet whose header
differs from the other sheets of its workbook is reported. Rows keep their source file, sheet and
Excel row (``source_file``, ``source_sheet``, ``source_row``) so every message points at the
user's cell.

Only :mod:`evaltools.io` opens files; this module decides what the cells mean.

Examples
--------
>>> import pathlib, tempfile, xlsxwriter
>>> f = pathlib.Path(tempfile.mkdtemp()) / "评分表.xlsx"
>>> wb = xlsxwriter.Workbook(f)
>>> for judge, (a, b) in {"张伟": (28, 20), "王芳": (26, 21)}.items():
...     ws = wb.add_worksheet(judge)
...     _ = ws.merge_range("A1:D1", "2021年第三季度楼栋评比评分表")
...     _ = ws.write_row(2, 0, ["楼栋编号", "环境卫生（30分）", "楼道整洁（25分）", "合计"])
...     _ = ws.write_row(3, 0, ["HQ001", a, b, a + b + (1 if judge == "王芳" else 0)])
>>> wb.close()
>>> res = read_score_workbooks([f])
>>> res.scores.select("judge_id", "unit_id", "criterion", "score", "source_row").rows()
[('张伟', 'HQ001', '环境卫生', 28.0, 4), ('张伟', 'HQ001', '楼道整洁', 20.0, 4)]

王芳's row is set aside: her 合计 (48) is not the sum of her scores (47), and evaltools says so
instead of recomputing it:

>>> [(c.name, c.maximum) for c in res.criteria]
[('环境卫生', 30.0), ('楼道整洁', 25.0)]
>>> res.round_given, res.title
(False, '2021年第三季度楼栋评比评分表')
>>> print(res.report.problems[0].message_zh())
评分表.xlsx（工作表 王芳） 第4行 “合计”列：值 “48” 合计与各指标得分之和不符（各指标之和为 47）。请核对评委的计算（evaltools 不会自动改正合计）。
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from evaltools import io
from evaltools.errors import Problem, ValidationReport
from evaltools.records import Record
from evaltools.rubric import Rubric
from evaltools.schema import canonical_name, normalize_header, split_criterion_header
from evaltools.validate import Where, file_problem

__all__ = [
    "FoundCriterion",
    "ScoreImport",
    "SheetStatus",
    "judge_from_name",
    "period_from_title",
    "read_score_workbooks",
    "round_from_name",
    "sniff_table",
]

#: Headers of a sheet's total column (checked against the sum of the criteria).
TOTAL_HEADERS = ("合计", "总分", "总计", "得分合计", "合计得分", "小计")
#: Headers naming the building rather than giving its id.
NAME_HEADERS = ("楼栋名称", "名称", "楼院名称", "单位名称", "楼栋", "楼院")
NOTE_HEADERS = ("备注", "说明")
# Patterns as text: ``re`` compiles each on first use (and caches it), so a read that never
# needs one (most do not) does not pay for compiling it at import.
_SIGNATURE = r"^\s*(评委)?(签字|签名)|^\s*(评分|检查)?日期\s*[:：]|^\s*评委\s*[:：]"
#: every text _SIGNATURE matches holds one of these
_SIGNATURE_WORDS = ("签", "日期", "评委")
_GENERIC_SHEET = r"(?i)^(sheet\d*|工作表\d*|表\d*|汇总|总表|评分表?|打分表?|scores?)$"
#: a browser's copy suffix on a file name: 评委评分(1).xlsx, 打分表（2）.csv
COPY_SUFFIX = r"\s*[(（]\d+[)）]\s*$"
_FILE_WORDS = r"(评委)?(评分|打分|测评)(表|汇总|结果)?|楼栋评比|汇总|\d{4}年?|第.+?[季轮期]度?"
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
           "十": 10}
_ROUND = r"第\s*([0-9]+|[一二三四五六七八九十]+)\s*[轮期]"
_PERIOD = r"(\d{4})\s*年\s*(第[一二三四1-4]季度|[上下]半年|\d{1,2}\s*月|度)?"


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class SheetStatus(Record):
    """One sheet (or CSV file): read, or skipped with its reason."""

    file: str
    sheet: str | None
    read: bool
    reason_zh: str = ""
    reason_en: str = ""
    judge: str | None = None
    round: int | None = None
    header_row: int | None = None
    rows: int = 0


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class FoundCriterion(Record):
    """A criterion column found in a header: its name, its maximum when the header gives one."""

    name: str
    maximum: float | None
    header: str
    file: str
    sheet: str | None


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class ScoreImport(Record):
    """What :func:`read_score_workbooks` found.

    ``scores`` is the canonical long table (``round, unit_id, judge_id, criterion, score``) plus
    ``source_file``, ``source_sheet``, ``source_row`` (and ``备注`` when a sheet has one);
    ``units`` the buildings named in the sheets (``unit_id``, ``name``) or None; ``sheets`` every
    sheet read or skipped; ``criteria`` every criterion header (first occurrence per name);
    ``report`` the problems, row counts and notes; ``rejected`` the rows set aside;
    ``round_given`` whether any sheet gave a round (when not, every row is round 1 and titles
    should use the rubric's ``period``); ``title`` the first title line above a header.
    """

    scores: pl.DataFrame
    units: pl.DataFrame | None
    sheets: tuple[SheetStatus, ...]
    criteria: tuple[FoundCriterion, ...]
    report: ValidationReport
    rejected: pl.DataFrame
    round_given: bool = False
    title: str | None = None
    judges: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- names


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def judge_from_name(name: str | None, *, kind: str = "sheet") -> str | None:
    """The judge a sheet or file name stands for, or None when the name is generic.

    A copy suffix (``张伟 (2)``, ``评委评分(1)``) is dropped; for files, words such as 评分表 and a
    year are removed first.

    >>> judge_from_name("张伟"), judge_from_name("张伟 (2)"), judge_from_name("Sheet1")
    ('张伟', '张伟', None)
    >>> judge_from_name("张伟评分表", kind="file"), judge_from_name("2021年评分汇总", kind="file")
    ('张伟', None)
    """
    if not name:
        return None
    text = re.sub(COPY_SUFFIX, "", _fold(name))
    if kind == "file":
        text = re.sub(_FILE_WORDS, "", text).strip(" _-—")
    if not text or re.match(_GENERIC_SHEET, text) or re.search(_ROUND, text):
        return None
    if canonical_name(text, "scores") is not None:
        return None
    return text


def round_from_name(name: str | None) -> int | None:
    """The round a sheet or file name gives (``第2轮``, ``第三期``), or None.

    >>> round_from_name("第2轮"), round_from_name("第三期评分"), round_from_name("张伟")
    (2, 3, None)
    """
    m = re.search(_ROUND, _fold(name or ""))
    if m is None:
        return None
    g = m.group(1)
    if g.isdigit():
        return int(g)
    if g == "十":
        return 10
    if g.startswith("十"):
        return 10 + _CN_NUM.get(g[1:], 0)
    if "十" in g:
        a, _, b = g.partition("十")
        return _CN_NUM.get(a, 1) * 10 + _CN_NUM.get(b, 0)
    return _CN_NUM.get(g)


def _is_criterion_header(h: str, rubric: Rubric | None) -> bool:
    name, maximum = split_criterion_header(h)
    if maximum is not None:
        return True
    if rubric is not None:
        keys = {normalize_header(c.name) for c in rubric.criteria}
        keys |= {normalize_header(c.id) for c in rubric.criteria}
        return normalize_header(name) in keys
    return False


#: the folded headers of each kind :func:`_header_kind` tells (folded once, not per header)
_KIND_HEADERS = {kind: frozenset(map(normalize_header, headers)) for kind, headers in
                 (("total", TOTAL_HEADERS), ("name", NAME_HEADERS), ("note", NOTE_HEADERS))}


def _header_kind(h: str) -> str:
    key = normalize_header(h)
    for kind, headers in _KIND_HEADERS.items():
        if key in headers:
            return kind
    if key in ("序号", "编号no", "no", "no."):
        return "index"
    return canonical_name(h, "scores") or ""


# --------------------------------------------------------------------------- header row


def _find_header(cells: pl.DataFrame, rubric: Rubric | None, *, scan: int = 15) -> int | None:
    """The Excel row of the header: the first of the top rows with at least two cells that are
    known headers (楼栋编号, 评委, 合计 …) or criterion headers."""
    cols = [c for c in cells.columns if c != "_row"]
    for rec in cells.head(scan).iter_rows(named=True):  # a few rows at most
        texts = [str(rec[c]).strip() for c in cols if rec[c] is not None and str(rec[c]).strip()]
        known = sum(1 for t in texts if _header_kind(t) or _is_criterion_header(t, rubric))
        if len(texts) >= 2 and known >= 2:
            return int(rec["_row"])
    return None


def sniff_table(path: str | Path) -> tuple[str | None, str, str]:
    """What a file holds, judged from its first visible sheet's header: ``("scores" | "units" |
    "wjx" | None, reason_zh, reason_en)``. Used to decide how to read files whose name is not a
    table name (``2021年三季度评分表.xlsx``, ``张伟.xlsx``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        return None, "旧版 .xls 格式", "legacy .xls format"
    if suffix not in (".csv", ".xlsx", ".xlsm", ".txt", ".tsv"):
        return None, f"不是数据文件（扩展名 {path.suffix or '无'}）", \
            f"not a data file (extension {path.suffix or 'none'})"
    where = Where(path.name, "scores")
    try:
        if suffix in (".xlsx", ".xlsm"):
            info = io.inspect_xlsx(path)
            if info.problem is not None:
                return "scores", "", ""  # read as scores so the problem is reported
            visible = [s for s in info.sheets if s.state == "visible"]
            if not visible:
                return None, "没有可见的工作表", "no visible sheet"
            grid = io.xlsx_grid(path, where, visible[0].name)
        else:
            grid = io.csv_grid(path, where)
    except io.Unreadable:
        return "scores", "", ""  # read as scores so the problem is reported
    head = grid.cells.head(15)
    texts = [str(v).strip() for c in head.columns if c != "_row"
             for v in head[c].to_list() if v is not None and str(v).strip()]
    if normalize_header("提交答卷时间") in {normalize_header(t) for t in texts}:
        return "wjx", "", ""
    kinds = [_header_kind(t) for t in texts]
    crit = any(split_criterion_header(t)[1] is not None for t in texts)
    if crit or "score" in kinds or "criterion" in kinds or "judge_id" in kinds:
        return "scores", "", ""
    if any(k in ("unit_id", "name") for k in kinds):
        return "units", "", ""
    return None, "看不出是哪张表（没有楼栋编号、指标或得分列）", \
        "cannot tell which table it holds (no unit, criterion or score column)"


# --------------------------------------------------------------------------- one sheet


@dataclass
class _SheetRead:
    status: SheetStatus
    state: io.ReadState | None = None
    signature: tuple[str, ...] = ()
    criteria: list[FoundCriterion] = field(default_factory=list)
    units: pl.DataFrame | None = None
    title: str | None = None
    round_given: bool = False
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    signed: tuple[int, ...] = ()  # Excel rows of signature / date lines under the table


def _cell_problems(where: Where, info: io.SheetInfo, headers: dict[int, str]
                   ) -> tuple[list[Problem], set[tuple[int, str]]]:
    """Error cells and formulas without a cached value, naming the cell and its column."""
    out: list[Problem] = []
    cells: set[tuple[int, str]] = set()
    for ref, text in info.errors:
        m = re.match(io.CELL_REF, ref)
        if m is None:  # calamine gives A1-style references
            continue
        row, col = int(m.group(2)), headers.get(io.column_index(m.group(1)), m.group(1))
        cells.add((row, col))
        out.append(Problem(where.file, row, col, text, "error_cell",
                           f"单元格 {ref} 是 Excel 错误值", f"cell {ref} holds an Excel error",
                           "请修正该单元格的公式或填写分数", "fix the cell's formula or type the score",
                           sheet=where.sheet))
    for ref in info.formulas_without_value:
        m = re.match(io.CELL_REF, ref)
        if m is None:
            continue
        row, col = int(m.group(2)), headers.get(io.column_index(m.group(1)), m.group(1))
        cells.add((row, col))
        out.append(Problem(where.file, row, col, None, "formula_without_value",
                           f"单元格 {ref} 的公式没有保存计算结果（文件不是由 Excel 保存的），无法读取其值",
                           f"cell {ref}: the formula has no cached value (the file was not saved "
                           "by Excel), so its value cannot be read",
                           "请在 Excel 中打开并保存一次，或把公式改为数值",
                           "open and save the file in Excel once, or replace the formula by its "
                           "value", sheet=where.sheet))
    return out, cells


#: Reference tables the scores are checked against: table -> (frame, file name).
_Refs = dict


def _cross_units(state: io.ReadState, refs: _Refs) -> list[Problem]:
    """Unit and judge ids not in the units / judges tables (rows already reported by name are
    left out)."""
    if not refs or state.fatal:
        return []
    from evaltools.validate import check_cross

    named = {p.row for p in state.problems if p.rule == "unknown_unit_name"}
    works = {t: (df, Where(f, t)) for t, (df, f) in refs.items()}
    ps = check_cross({**works, "scores": (state.work, state.where)}, only="scores",
                     units_known=state.units_known)
    return [p for p in ps if not (p.rule == "unknown_unit" and p.row in named)]


def _read_sheet(path: Path, grid: io.Grid, info: io.SheetInfo | None, *,
                rubric: Rubric | None, refs: _Refs) -> _SheetRead:
    units = refs.get("units", (None, None))[0]
    sheet = grid.sheet
    where = Where(path.name, "scores", sheet)
    cells = grid.cells
    cols = [c for c in cells.columns if c != "_row"]
    header_row = _find_header(cells, rubric)
    if header_row is None:
        return _SheetRead(SheetStatus(
            path.name, sheet, False, "没有找到评分表的表头（楼栋编号、指标或得分列）",
            "no score-table header found (unit, criterion or score columns)"))
    # rows are numbered one after another (every grid is), so the rows above and below the
    # header are slices: no query over a long sheet
    first_row = cells.item(0, "_row")
    at = header_row - first_row
    contiguous = cells.item(-1, "_row") == first_row + cells.height - 1
    above = cells.head(at) if contiguous else cells.filter(pl.col("_row") < header_row)
    title = next((str(v).strip() for v in pl.concat(
        [above[c] for c in cols]).drop_nulls().to_list() if str(v).strip()), None) \
        if above.height else None
    first = pl.coalesce([pl.col(c).str.strip_chars().replace("", None) for c in cols])
    below = cells.slice(at + 1) if contiguous else cells.filter(pl.col("_row") > header_row)
    # a signature line's first cell holds 签, 日期 or 评委: rows without them are never one
    maybe = below.select(pl.any_horizontal(
        pl.col(c).str.contains_any(list(_SIGNATURE_WORDS)).fill_null(False) for c in cols
    ).any()).item() if cols and below.height else False
    signature = (below.with_columns(_first=first)
                 .filter(pl.col("_first").str.contains(_SIGNATURE))) if maybe else None
    notes: list[str] = []
    signed = tuple(signature["_row"].to_list()) if signature is not None else ()
    body = cells.slice(at) if contiguous else cells.filter(pl.col("_row") >= header_row)
    if signature is not None:
        body = body.filter(~pl.col("_row").is_in(signature["_row"].implode()))
    try:
        split = io.split_header(io.Grid(body, sheet, grid.encoding, grid.zero_width), where)
    except io.Unreadable as exc:
        return _SheetRead(SheetStatus(path.name, sheet, False, exc.problem.zh, exc.problem.en))
    headers = split.headers
    kinds = {h: _header_kind(h) for h in headers}
    crit_headers = [h for h in headers if not kinds[h] and _is_criterion_header(h, rubric)]
    if rubric is None:  # discovery: every header that is not an id, name, total, note …
        ignored = {normalize_header(x) for x in io.WIDE_IGNORED}
        crit_headers = [h for h in headers if not kinds[h] and normalize_header(h) not in ignored]
    criteria = [FoundCriterion(*split_criterion_header(h), h, path.name, sheet)
                for h in crit_headers]
    signature_key = tuple(sorted(normalize_header(c.name) for c in criteria))
    found = set(kinds.values())
    problems: list[Problem] = []
    raw_body = split.body
    # judge and round from the sheet or file name when there is no column for them
    judge = rnd = None
    round_given = "round" in found
    if "judge_id" not in found:
        judge = judge_from_name(sheet) if sheet else None
        judge = judge or judge_from_name(path.stem, kind="file")
        if judge is None:
            problems.append(file_problem(where, "no_judge", value=sheet or path.stem))
            return _SheetRead(SheetStatus(path.name, sheet, False, "没有评委", "no judge",
                                          header_row=header_row),
                              problems=problems, notes=notes, title=title)
        raw_body = raw_body.with_columns(pl.lit(judge).alias("评委"))
        headers = [*headers, "评委"]
    if "round" not in found:
        rnd = round_from_name(sheet) or round_from_name(path.stem)
        round_given = rnd is not None
        raw_body = raw_body.with_columns(pl.lit(str(rnd or 1)).alias("轮次"))
        headers = [*headers, "轮次"]
    # buildings by name: matched to the units table (or taken as the id when there is none)
    unit_frame = None
    name_h = next((h for h in headers if kinds.get(h) == "name"), None)
    id_h = next((h for h in headers if kinds.get(h) == "unit_id"), None)
    name_problems: list[Problem] = []
    if id_h is not None and name_h is not None:
        unit_frame = raw_body.select(unit_id=pl.col(id_h), name=pl.col(name_h)).drop_nulls()
    elif id_h is None and name_h is not None:
        names = raw_body[name_h]
        if units is not None and units.height:
            from evaltools.unitnames import match_units

            m = match_units(names, units)
            ids = dict(zip(m["value"].to_list(), m["unit_id"].to_list(), strict=True))
            raw_body = raw_body.with_columns(
                pl.col(name_h).replace_strict(ids, default=None, return_dtype=pl.String)
                .fill_null(pl.col(name_h)).alias("楼栋编号"))
            name_problems = _name_problems(where, raw_body, name_h, m)
        else:
            raw_body = raw_body.with_columns(pl.col(name_h).alias("楼栋编号"))
            unit_frame = raw_body.select(unit_id=pl.col(name_h), name=pl.col(name_h)).drop_nulls()
        headers = [*headers, "楼栋编号"]
    sheet_ = io.Sheet(headers, raw_body, split.problems)
    state = io.prepare_sheet(sheet_, where, rubric)
    state.problems = [*state.problems, *name_problems]
    name_problems = []
    if units is not None and units.height:  # ids typed in full width or with zero-width spaces
        io.resolve_units(state, units, group_unmatched=False)
    state.problems += _cross_units(state, refs)
    # error cells / formulas without a value: reported naming the cell; the empty-cell problem
    # they cause is dropped (it would say the same thing less precisely)
    if info is not None:
        letters = {i: h for i, h in enumerate(split.headers)}
        ps, bad_cells = _cell_problems(where, info, letters)
        state.problems = [p for p in state.problems
                          if not (p.rule == "missing_value" and (p.row, p.column) in bad_cells)]
        problems += ps
    problems += name_problems
    problems += _maximum_problems(where, criteria, state, rubric)
    total_h = next((h for h in headers if kinds.get(h) == "total"), None)
    if total_h is not None and not state.fatal and "score" in state.work.columns:
        problems += _total_problems(where, state.work, raw_body, total_h)
    note_h = next((h for h in headers if kinds.get(h) == "note"), None)
    if not state.fatal:
        work = state.work
        if note_h is not None and note_h not in work.columns:
            work = work.join(raw_body.select("_row", pl.col(note_h)), on="_row", how="left")
            state.extras = [*state.extras, note_h]
        state.work = work.with_columns(source_file=pl.lit(path.name),
                                       source_sheet=pl.lit(sheet, dtype=pl.String),
                                       source_row=pl.col("_row"))
        state.extras = [*state.extras, "source_file", "source_sheet", "source_row"]
    state.problems = [*state.problems, *problems]
    status = SheetStatus(path.name, sheet, not state.fatal, judge=judge, round=rnd,
                         header_row=header_row, rows=raw_body.height)
    return _SheetRead(status, state, signature_key, criteria, unit_frame, title, round_given,
                      notes, signed=signed)


def _maximum_problems(where: Where, criteria: list[FoundCriterion], state: io.ReadState,
                      rubric: Rubric | None) -> list[Problem]:
    """The maximum a header gives: checked against the rubric (``header_max_differs``), and,
    without a rubric, every score above it (``out_of_scale``, naming the cell)."""
    out: list[Problem] = []
    with_max = [c for c in criteria if c.maximum is not None]
    if rubric is not None:
        by_name = {normalize_header(c.name): c for c in rubric.criteria}
        by_name |= {normalize_header(c.id): c for c in rubric.criteria}
        for c in with_max:
            rc = by_name.get(normalize_header(c.name))
            high = (rc.scale[1] if rc is not None and rc.scale else
                    rc.max_points if rc is not None else None)
            if rc is not None and high is not None and float(high) != c.maximum:
                out.append(file_problem(where, "header_max_differs", column=c.header,
                                        value=f"{c.maximum:g}",
                                        zh=f"（评分细则中 {rc.id} 的满分为 {float(high):g}）",
                                        en=f" (the rubric's maximum of {rc.id} is "
                                        f"{float(high):g})"))
        return out
    if state.fatal or "score" not in state.work.columns or not with_max:
        return out
    limits = pl.DataFrame({"score__header": [c.header for c in with_max],
                           "_hi": [c.maximum for c in with_max]})
    bad = (state.work.join(limits, on="score__header", how="inner")
           .filter((pl.col("score") < 0) | (pl.col("score") > pl.col("_hi"))).sort("_row"))
    for r, h, t, hi in bad.select("_row", "score__header", "score__text", "_hi").iter_rows():
        out.append(Problem(where.file, r, h, t, "out_of_scale",
                           f"超出评分范围（0～{hi:g}，表头给出的满分）",
                           f"is outside the allowed range (0 to {hi:g}, the header's maximum)",
                           "请检查是否录入错误", "check for a typing mistake", sheet=where.sheet))
    return out


def _name_problems(where: Where, body: pl.DataFrame, name_h: str, m: pl.DataFrame
                   ) -> list[Problem]:
    """One problem per row whose building name matches no unit (grouped when shown)."""
    bad = m.filter(pl.col("matched_by").is_in(["none", "ambiguous"]))
    if bad.is_empty():
        return []
    rows = (body.select("_row", value=pl.col(name_h))
            .join(bad, on="value", how="inner").sort("_row"))
    out = []
    for rec in rows.iter_rows(named=True):  # only the offending rows
        pairs = "、".join(f"{i} {n}" for i, n in zip(rec["candidate_ids"] or [],
                                                     rec["candidate_names"] or [], strict=True))
        near_zh = f"；最接近的是 {pairs}" if pairs else "；没有相近的名称"
        near_en = f"; closest: {pairs}" if pairs else "; no similar name"
        out.append(Problem(where.file, rec["_row"], name_h, rec["value"], "unknown_unit_name",
                           f"与参评单位表中的楼栋名称都对不上{near_zh}",
                           f"matches no building of the units table{near_en}",
                           "请核对名称，或在参评单位表（units.csv）中补上该楼栋",
                           "check the name, or add the building to the units table (units.csv)",
                           sheet=where.sheet))
    return out


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def _total_problems(where: Where, work: pl.DataFrame, body: pl.DataFrame, total_h: str
                    ) -> list[Problem]:
    n_criteria = work["score__header"].n_unique() if "score__header" in work.columns else 1
    sums = work.group_by("_row").agg(_sum=pl.col("score").sum(),
                                     _complete=pl.col("score").is_not_null().all()
                                     & (pl.len() == n_criteria))
    check = (body.select("_row", _text=pl.col(total_h))
             .with_columns(_total=pl.col("_text").cast(pl.Float64, strict=False))
             .join(sums, on="_row", how="inner")
             .filter(pl.col("_complete") & pl.col("_total").is_not_null()
                     & ((pl.col("_total") - pl.col("_sum")).abs() > 1e-6))
             .sort("_row"))
    return [Problem(where.file, r, total_h, t, "total_mismatch",
                    f"合计与各指标得分之和不符（各指标之和为 {_fmt(s)}）",
                    f"the total does not equal the sum of the criteria ({_fmt(s)})",
                    "请核对评委的计算（evaltools 不会自动改正合计）",
                    "check the judge's arithmetic (evaltools does not recompute it silently)",
                    sheet=where.sheet)
            for r, t, s in check.select("_row", "_text", "_sum").iter_rows()]


# --------------------------------------------------------------------------- files


def _file_sheets(path: Path, *, rubric: Rubric | None, refs: _Refs
                 ) -> tuple[list[_SheetRead], list[Problem], list[str]]:
    where = Where(path.name, "scores")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        return [], [file_problem(where, "legacy_xls", value=path.name)], []
    if suffix in (".csv", ".txt", ".tsv", ".parquet"):
        try:
            grid = io.parquet_grid(path, where) if suffix == ".parquet" else io.csv_grid(path, where)
        except io.Unreadable as exc:
            return [], [exc.problem], []
        return [_read_sheet(path, grid, None, rubric=rubric, refs=refs)], [], []
    if path.stat().st_size == 0:
        return [], [file_problem(where, "empty_file")], []
    info = io.inspect_xlsx(path)
    if info.problem is not None:
        return [], [info.problem], []
    reads: list[_SheetRead] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for s in info.sheets:
        sw = Where(path.name, "scores", s.name)
        if s.state != "visible":
            reads.append(_SheetRead(SheetStatus(
                path.name, s.name, False, "隐藏的工作表，未读取", "hidden sheet, not read")))
            notes.append(f"{path.name}（工作表 {s.name}）是隐藏的工作表，未读取；如需计分请取消隐藏 | "
                         f"{path.name} (sheet {s.name}) is hidden and was not read; unhide it if "
                         "it should count")
            continue
        if s.last_row > io.XLSX_MAX_ROWS or s.last_column > io.XLSX_MAX_COLUMNS:
            ref = f"{io.column_letter(max(s.last_column, 1) - 1)}{s.last_row}"
            problems.append(file_problem(sw, "sheet_too_large", value=ref))
            reads.append(_SheetRead(SheetStatus(path.name, s.name, False, "已用区域过大",
                                                "used range too large")))
            continue
        try:
            grid = io.xlsx_grid(path, sw, s.name)
        except io.Unreadable as exc:
            reason = exc.problem.zh
            reads.append(_SheetRead(SheetStatus(path.name, s.name, False, reason,
                                                exc.problem.en)))
            notes.append(f"{path.name}（工作表 {s.name}）：{reason}，未读取 | {path.name} (sheet "
                         f"{s.name}): {exc.problem.en}; not read")
            continue
        r = _read_sheet(path, grid, s, rubric=rubric, refs=refs)
        if not r.status.read and not r.problems:
            notes.append(f"{path.name}（工作表 {s.name}）：{r.status.reason_zh}，未读取 | "
                         f"{path.name} (sheet {s.name}): {r.status.reason_en}; not read")
        reads.append(r)
    return reads, problems, notes


def _header_differs(reads: list[_SheetRead]) -> list[Problem]:
    """Sheets of one workbook whose criteria differ from the most common set."""
    sigs = [r.signature for r in reads if r.state is not None and r.signature]
    if len(sigs) < 2:
        return []
    common, _ = Counter(sigs).most_common(1)[0]
    out = []
    for r in reads:
        if r.state is None or not r.signature or r.signature == common:
            continue
        missing = [c for c in common if c not in r.signature]
        extra = [c for c in r.signature if c not in common]
        zh = "；" + "，".join(x for x in (f"缺少 {'、'.join(missing)}" if missing else "",
                                         f"多出 {'、'.join(extra)}" if extra else "") if x)
        en = "; " + ", ".join(x for x in (f"missing {', '.join(missing)}" if missing else "",
                                          f"extra {', '.join(extra)}" if extra else "") if x)
        out.append(file_problem(Where(r.status.file, "scores", r.status.sheet),
                                "sheet_header_differs", zh=zh, en=en))
    return out


def _duplicate_judges(reads: list[_SheetRead]) -> list[Problem]:
    seen: dict[str, SheetStatus] = {}
    out = []
    for r in reads:
        j = r.status.judge
        if r.state is None or r.state.fatal or j is None:
            continue
        key = f"{j}\x00{r.status.round}"
        if key in seen:
            first = seen[key]
            at = f"{first.file}（工作表 {first.sheet}）" if first.sheet else first.file
            at_en = f"{first.file} (sheet {first.sheet})" if first.sheet else first.file
            out.append(Problem(r.status.file, None, None, j, "duplicate_judge_sheet",
                               f"同一位评委有两张评分表（另一张：{at}）",
                               f"two sheets for the same judge (the other: {at_en})",
                               "请删除重复或过期的一张，或改正工作表名称",
                               "delete the stale copy or correct the sheet name",
                               sheet=r.status.sheet))
            r.state.fatal = True
            r.state.problems.append(out[-1])
        else:
            seen[key] = r.status
    return out


def _signature_notes(reads: list[_SheetRead]) -> list[str]:
    """One note per file and set of rows: the signature / date lines left out."""
    groups: dict[tuple[str, tuple[int, ...]], list[str | None]] = {}
    for r in reads:
        if r.signed:
            groups.setdefault((r.status.file, r.signed), []).append(r.status.sheet)
    out = []
    for (file, rows), sheets in groups.items():
        named = [s for s in sheets if s]
        at = f"{file}（工作表 {'、'.join(named)}）" if named else file
        at_en = f"{file} (sheet(s) {', '.join(named)})" if named else file
        listed = "、".join(str(r) for r in rows)
        out.append(f"{at}第{listed}行是签字/日期行，未作为数据读取 | {at_en} row(s) "
                   f"{', '.join(str(r) for r in rows)}: signature/date lines, not read as data")
    return out


def read_score_workbooks(paths: Iterable[str | Path], *, rubric: Rubric | None = None,
                         units: pl.DataFrame | None = None, units_file: str | None = None,
                         judges: pl.DataFrame | None = None,
                         judges_file: str | None = None) -> ScoreImport:
    """Read judges' score files (``.xlsx`` workbooks, CSV) in any of the shapes of this module.

    Parameters
    ----------
    paths : the files (a folder's files, in order; ``.xls`` gives a ``legacy_xls`` problem).
    rubric : maps criterion headers to ids and checks scores; None = criteria are kept by their
        name without the maximum (discovery, as ``evaltools init`` does).
    units : the units table (``unit_id``, ``name``) to match buildings given by name and to
        check unit ids against; ``units_file`` its file name for messages.
    judges, judges_file : the judges table, when there is one: judge ids are checked against it.

    Returns
    -------
    ScoreImport
        Never raises for a user's mistake: problems are in ``report``.
    """
    files = [Path(p) for p in paths]
    refs: _Refs = {}
    if units is not None:
        refs["units"] = (units, units_file)
    if judges is not None:
        refs["judges"] = (judges, judges_file)
    reads: list[_SheetRead] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for path in files:
        rs, ps, ns = _file_sheets(path, rubric=rubric, refs=refs)
        if rs and not ps and all(r.state is None for r in rs) \
                and not any(r.problems for r in rs):
            skipped = "；".join(f"{r.status.sheet}：{r.status.reason_zh}" for r in rs)
            skipped_en = "; ".join(f"{r.status.sheet}: {r.status.reason_en}" for r in rs)
            ps = [file_problem(Where(path.name, "scores"), "no_score_sheet",
                               zh=f"（{skipped}）", en=f" ({skipped_en})")]
        problems += ps + _header_differs(rs)
        notes += ns
        reads += rs
    _duplicate_judges(reads)
    notes += _signature_notes(reads)
    frames, rejected, reports = [], [], []
    for r in reads:
        notes += r.notes
        problems += r.problems
        if r.state is None:
            continue
        res = io.finish_read(r.state, lenient=True)
        if not r.state.fatal:
            data = res.data
            if rubric is None:  # criteria by name, without the maximum
                data = data.with_columns(pl.col("criterion").map_elements(
                    lambda h: split_criterion_header(h)[0], return_dtype=pl.String))
            frames.append(data)
        if res.rejected.height:
            rejected.append(res.rejected.with_columns(_file=pl.lit(r.status.file),
                                                      _sheet=pl.lit(r.status.sheet,
                                                                    dtype=pl.String)))
        if r.status.sheet:  # the row counts name the sheet: one line per sheet
            at = f"{r.status.file}（工作表 {r.status.sheet}）"
            counts = tuple(replace(c, file=at) for c in res.report.counts)
            reports.append(ValidationReport(res.report.problems, counts, res.report.notes))
        else:
            reports.append(res.report)
    report = ValidationReport.merge([ValidationReport(tuple(problems)), *reports])
    report = ValidationReport(report.problems, report.counts, tuple(dict.fromkeys(notes)))
    scores = (pl.concat(frames, how="diagonal_relaxed") if frames
              else io.empty_frame("scores"))
    unit_frames = [r.units for r in reads if r.units is not None]
    units_found = (pl.concat(unit_frames).unique("unit_id", keep="first", maintain_order=True)
                   if unit_frames else None)
    criteria: dict[str, FoundCriterion] = {}
    for r in reads:
        for c in r.criteria:
            criteria.setdefault(normalize_header(c.name), c)
    # in order of first appearance, without a Python list of every row
    judge_ids = tuple(scores["judge_id"].drop_nulls().unique(maintain_order=True).to_list())
    return ScoreImport(
        scores=scores, units=units_found, sheets=tuple(r.status for r in reads),
        criteria=tuple(criteria.values()), report=report,
        rejected=pl.concat(rejected, how="diagonal_relaxed") if rejected else pl.DataFrame(),
        round_given=any(r.round_given for r in reads if r.state is not None),
        title=next((r.title for r in reads if r.title), None), judges=judge_ids)


def period_from_title(title: str | None) -> str | None:
    """The period a title names (``2021年第三季度楼栋评比`` → ``2021年第三季度``), or None.

    >>> period_from_title("2021年第三季度楼栋评比评分表"), period_from_title("评分表")
    ('2021年第三季度', None)
    """
    m = re.search(_PERIOD, _fold(title or ""))
    if m is None:
        return None
    return m.group(0).replace(" ", "")
