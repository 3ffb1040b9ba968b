"""Reading the files evaluators really have: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel
``.xlsx``, Parquet and 问卷星 exports.
One job: opening users' files (~800 lines because CSV encodings, Excel, Parquet and 问卷星
exports each need their own reading; the rules the cells must meet live in
:mod:`evaltools.validate`).

Every reader returns the canonical table (English column names, typed, long form) and a
:class:`~evaltools.errors.ValidationReport` listing every problem found, each with the file, the
Excel row (header = row 1), the column as the user typed it, the value as typed, a rule code and
a fix in Chinese and English.

* **strict** (default): any problem raises one :class:`~evaltools.errors.ValidationError`
  carrying the whole report.
* **lenient**: rows with a problem are set aside; the result carries the good rows, the report and
  ``rejected`` — the rejected rows with their original cells, ``_row`` and ``_reason``.
  Always ``accepted + rejected == read`` (see ``report.counts``).

Cell policy: every cell is read as text first, surrounding spaces and zero-width characters are
trimmed (with an :class:`~evaltools.errors.EvalToolsWarning` note when there were zero-width ones),
and an empty cell is missing (null) — so ``""`` and null are the same after reading. Completely
empty rows are ignored.
Input files are only ever opened for reading.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "scores.csv").write_text(
...     "轮次,楼栋编号,评委,指标,得分\\n1,B01,J1,sanitation,8.5\\n1,B01,J2,sanitation,九\\n",
...     encoding="gbk")
>>> scores, report = read_scores(folder / "scores.csv", lenient=True)
>>> scores
shape: (1, 5)
┌───────┬─────────┬──────────┬────────────┬───────┐
│ round ┆ unit_id ┆ judge_id ┆ criterion  ┆ score │
│ ---   ┆ ---     ┆ ---      ┆ ---        ┆ ---   │
│ i64   ┆ str     ┆ str      ┆ str        ┆ f64   │
╞═══════╪═════════╪══════════╪════════════╪═══════╡
│ 1     ┆ B01     ┆ J1       ┆ sanitation ┆ 8.5   │
└───────┴─────────┴──────────┴────────────┴───────┘
>>> print(report.problems[0].message_en())
scores.csv, row 3, column '得分': value '九' is not a number. Fix: enter a number such as 8 or 8.5.
>>> print(report.summary())
scores.csv: 读取 2 行，接受 1，拒绝 1 | read 2, accepted 1, rejected 1
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import polars as pl

from evaltools.engines import engine_for
from evaltools.errors import FileCount, Problem, UsageError, ValidationError, ValidationReport
from evaltools.records import Record
from evaltools.rubric import RatingsConfig, Rubric, WjxMapping
from evaltools.schema import TABLES, canonical_name, normalize_header, split_criterion_header
from evaltools.validate import (
    DTYPES,
    Where,
    check_rows,
    closest_header,
    file_problem,
    missing_column_problems,
    tidy,
)

__all__ = [
    "MixedEncodingError",
    "SheetInfo",
    "TableRead",
    "XlsxInfo",
    "column_letter",
    "decode_text",
    "file_sha256",
    "inspect_xlsx",
    "read_deductions",
    "read_entries",
    "read_judges",
    "read_ratings",
    "read_raw",
    "read_scores",
    "read_survey_answers",
    "read_table",
    "read_text",
    "read_tickets",
    "read_units",
    "read_votes",
    "read_wjx",
]

TableName = Literal["units", "judges", "scores", "deductions", "ratings", "tickets", "entries",
                    "votes"]

#: Headers in wide score sheets that are not criteria (totals, notes, signatures).
WIDE_IGNORED = ("合计", "总分", "总计", "小计", "平均分", "得分合计", "备注", "说明", "序号",
                "签名", "评委签名", "日期", "评分日期", "楼栋名称", "名称", "楼院", "社区", "街道")
#: The units' location columns: optional together, required together.
UNIT_LOCATION = ("street", "community", "courtyard")
#: 问卷星 metadata columns (kept out of the question columns).
WJX_METADATA = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分")
#: 问卷星 codes for a question that was skipped (-2) or not shown (-3).
WJX_MISSING = ("-2", "-3", "(跳过)", "(空)")


class TableRead(tuple):
    """What a reader returns: unpacks as ``(data, report)``; ``.rejected`` holds the rejected rows.

    ``data`` is the canonical table of accepted rows; ``report`` the problems and row counts;
    ``rejected`` the rows set aside in lenient mode (original cells, ``_row``, ``_reason``);
    ``skipped`` the number of answers read as missing (问卷星 -2/-3 codes and empty answers).
    """

    data: pl.DataFrame
    report: ValidationReport
    rejected: pl.DataFrame
    skipped: int

    def __new__(cls, data: pl.DataFrame, report: ValidationReport, rejected: pl.DataFrame,
                skipped: int = 0) -> TableRead:
        self = super().__new__(cls, (data, report))
        self.data, self.report, self.rejected, self.skipped = data, report, rejected, skipped
        return self


class Unreadable(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


# --------------------------------------------------------------------------- decoding

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _bom(data: bytes) -> tuple[int, str] | None:
    """The length of ``data``'s byte-order mark and the encoding it names, or None."""
    return next(((len(bom), enc) for bom, enc in _BOMS if data.startswith(bom)), None)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 (BOM stripped), UTF-16 with a BOM, else GB18030 (GBK superset).

    Raises ``UnicodeDecodeError`` when the bytes are none of these (Latin-1 text, UTF-16 without a
    BOM, binary data), and its subclass :class:`MixedEncodingError` when the file is UTF-8 except
    for some lines (a row pasted from a GBK file, a stray Latin-1 byte): GB18030 would decode such
    a file, but as mojibake everywhere else.

    >>> decode_text("楼栋编号,得分".encode("gbk"))
    ('楼栋编号,得分', 'gb18030')
    >>> decode_text("\\ufeff䶮".encode("utf-8"))
    ('䶮', 'utf-8-sig')
    """
    mark = _bom(data)
    if mark is not None:
        size, enc = mark
        return data[size:].decode(enc), ("utf-8-sig" if enc == "utf-8" else enc)
    if b"\x00" in data:
        raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1,
                                 "NUL byte: UTF-16 without BOM or a binary file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        mixed = _mixed_utf8_lines(data)
        if mixed is not None:
            raise mixed from None
        return data.decode("gb18030"), "gb18030"


class MixedEncodingError(UnicodeDecodeError):
    """A UTF-8 file with some lines in another encoding (a row pasted from a GBK file, a stray
    Latin-1 byte). Decoding the whole file as GB18030 would turn every other Chinese character
    into mojibake, so such a file is refused, naming the lines.

    ``rows``: the line numbers (1-based, header = 1) of the lines that are not UTF-8;
    ``samples``: their raw bytes; ``as_gbk``: each line read as GB18030, or None.
    """

    def __init__(self, data: bytes, start: int, rows: list[int], samples: list[bytes],
                 as_gbk: list[str | None]):
        super().__init__("utf-8", data, start, start + 1,
                         f"UTF-8 file with {len(rows)} line(s) in another encoding")
        self.rows, self.samples, self.as_gbk = rows, samples, as_gbk


def _mixed_utf8_lines(data: bytes) -> MixedEncodingError | None:
    """The lines that are not UTF-8 when the rest of the file clearly is, else None.

    "Clearly" means: the lines that do decode as UTF-8 hold at least two characters from U+0800 up
    (Chinese is U+4E00 on). A GBK line can be valid UTF-8 by chance — 楼 is C2 A5 in GBK, which
    is UTF-8 for ¥, and 院 (D4 BA) is Armenian Ժ — but such a pair always reads as a character
    below U+0800; only a rarer run of three bytes could pass for one above it. Lines like
    ``楼,a`` in a GBK file are therefore no evidence of UTF-8.
    """
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in data.decode("utf-8", errors="ignore"):  # a real U+FFFD: cannot tell lines
        return None
    lines = pl.Series(text.split("\n"), dtype=pl.String)
    bad = lines.str.contains("\ufffd", literal=True)
    good_wide = lines.filter(~bad).str.count_matches(r"[^\x00-\x{07ff}]").sum()
    if not good_wide or good_wide < 2:
        return None
    rows = (bad.arg_true() + 1).to_list()
    raw_lines = data.split(b"\n")
    samples = [raw_lines[r - 1].rstrip(b"\r") for r in rows]
    as_gbk = []
    for b in samples[:5]:  # the first few only, for the message
        try:
            as_gbk.append(b.decode("gb18030"))
        except UnicodeDecodeError:
            as_gbk.append(None)
    start = sum(len(x) + 1 for x in raw_lines[: rows[0] - 1])
    return MixedEncodingError(data, start, rows, samples, as_gbk)


def _mixed_encoding_problem(where: Where, exc: MixedEncodingError) -> Problem:
    n = len(exc.rows)
    listed = "、".join(map(str, exc.rows[:5])) + ("…" if n > 5 else "")
    listed_en = ", ".join(map(str, exc.rows[:5])) + (", …" if n > 5 else "")
    first = exc.samples[0]
    odd = bytes(b for b in first if b >= 0x80)[:8]
    hexed = " ".join(f"{b:02X}" for b in odd) + (" …" if len(odd) < sum(b >= 0x80 for b in first)
                                                 else "")
    gbk = exc.as_gbk[0]
    if gbk:
        why_zh = f"，按 GBK 读作 “{_clip(gbk)}”），多半是从 GBK 文件粘贴来的"
        why_en = f"; read as GBK: '{_clip(gbk)}'), probably pasted from a GBK file"
    else:
        why_zh = "，既不是 UTF-8 也不是 GBK），可能是 Latin-1 等其他编码的字符"
        why_en = ", neither UTF-8 nor GBK), perhaps a character in Latin-1 or another encoding"
    return Problem(
        where.file, exc.rows[0], None, None, "mixed_encoding",
        f"文件是 UTF-8 编码，但有 {n} 行不是：第{listed}行（第{exc.rows[0]}行的字节 {hexed}{why_zh}；"
        "整份文件按 GBK 读会把其余的中文全部读成乱码",
        f"the file is UTF-8 but {n} line(s) are not: rows {listed_en} (bytes of row "
        f"{exc.rows[0]}: {hexed}{why_en}; reading the whole file as GBK would garble every other "
        "Chinese character",
        "在 Excel 或文本编辑器中重新输入这几行，再“另存为 CSV UTF-8（逗号分隔）”",
        "retype those lines, then Save As 'CSV UTF-8 (comma delimited)'",
        sheet=where.sheet)


def _clip(text: str, limit: int = 30) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- grids


def read_raw(path: str | Path) -> pl.DataFrame:
    """A small user file (CSV in any encoding :func:`decode_text` knows, or the first sheet of an
    ``.xlsx``) with every cell as text, for tables that are not one of the dataset's (e.g. the
    extra-holidays file of :mod:`evaltools.workdays`). The header is row 1.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "h.csv"
    >>> _ = f.write_bytes("日期,类型\\n2030-10-01,放假\\n".encode("gbk"))
    >>> read_raw(f).rows()
    [('2030-10-01', '放假')]
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return pl.read_excel(path, infer_schema_length=0)
    text, _ = decode_text(path.read_bytes())
    return pl.read_csv(io.StringIO(text), infer_schema=False)


@dataclass
class Grid:
    """Cells of a sheet as text: ``cells`` has columns ``c0..cN`` and ``_row`` (Excel row)."""

    cells: pl.DataFrame
    sheet: str | None = None
    encoding: str | None = None
    #: whether any cell may hold a zero-width character (None: not known, look)
    zero_width: bool | None = None


def _utf8_body(data: bytes) -> tuple[bytes, str] | None:
    """The bytes after a UTF-8 BOM and the encoding name, as :func:`decode_text` would name
    them, when ``data`` is UTF-8 text; else None (decode_text decides). UTF-8 is checked in
    polars (Rust) without building the Python string, which costs ≈ 1.5 ms per MB of Chinese
    text that the CSV reader does not need."""
    mark = _bom(data)
    if (mark is not None and mark[1] != "utf-8") or b"\x00" in data:  # UTF-16, binary
        return None
    body, encoding = (data[3:], "utf-8-sig") if mark is not None else (data, "utf-8")
    try:
        pl.Series([body], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:  # not UTF-8
        return None
    return body, encoding


def csv_grid(path: Path, where: Where) -> Grid:
    data = path.read_bytes()
    if not data.strip():
        raise Unreadable(file_problem(where, "empty_file"))
    known = _utf8_body(data)
    text: str | None = None
    if known is not None:
        utf8, encoding = known
    else:
        try:
            text, encoding = decode_text(data)
        except MixedEncodingError as exc:
            raise Unreadable(_mixed_encoding_problem(where, exc)) from None
        except UnicodeDecodeError as exc:
            raise Unreadable(file_problem(
                where, "unreadable_encoding", zh=f"（第 {exc.start + 1} 个字节）",
                en=f" (byte {exc.start + 1})")) from None
        utf8 = text.encode("utf-8")
    # from here on the text is UTF-8 bytes: separators, line ends and zero-width characters
    # are found in them as in the decoded text (a multi-byte character holds no ASCII byte)
    if b"\r" in utf8 and b"\n" not in utf8:  # classic Mac line ends (CR only): rows, not one line
        utf8 = utf8.replace(b"\r", b"\n")
    raw = io.BytesIO(utf8)
    end = utf8.find(b"\n")
    first = utf8 if end < 0 else utf8[:end]
    sep = "\t" if (b"\t" in first and b"," not in first) else ","

    def read(width: int) -> pl.DataFrame:
        schema = {f"c{i}": pl.String for i in range(width)}
        raw.seek(0)
        return pl.read_csv(raw, has_header=False, schema=schema, missing_columns="insert",
                           separator=sep, quote_char='"', row_index_name="_row",
                           row_index_offset=1)

    try:  # as wide as the header line: polars refuses a row with more cells than that
        cells = read(first.count(sep.encode()) + 1)
    except pl.exceptions.PolarsError:
        # a row wider than the header (a ragged row, reported later) or a file polars cannot
        # parse: as wide as the line with the most separators
        lines = pl.Series(utf8.decode("utf-8").split("\n"), dtype=pl.String)
        # counts are integers: the maximum is an int, or None for no lines
        width = int(cast("int | None", lines.str.count_matches(sep, literal=True).max()) or 0) + 1
        try:
            cells = read(width)
        except pl.exceptions.PolarsError as exc:
            raise Unreadable(file_problem(where, "unreadable_file", zh=f"（{_short(exc)}）",
                                           en=f" ({_short(exc)})")) from None
    # the reader numbers the lines (UInt32, first): Int64 and last, as every grid, without a
    # query (a frame built from its columns)
    cells = _frame([*(cells.get_column(c) for c in cells.columns[1:]),
                    cells.get_column("_row").cast(pl.Int64)])
    # zero-width characters anywhere in the text (rare): split_header looks for them at cell ends
    return Grid(cells, encoding=encoding, zero_width=_has_zero_width(utf8, text))


def _has_zero_width(utf8: bytes, text: str | None) -> bool:
    """Whether the text (``utf8``, or ``text`` when decoded already) holds a zero-width
    character: split_header looks for them at cell ends. In UTF-8 each of them starts with the
    byte E2 or EF, which most files do not hold (one byte is found ≈ 30× faster than three)."""
    if text is None:
        if b"\xe2" not in utf8 and b"\xef" not in utf8:
            return False
        text = utf8.decode("utf-8")
    return any(z in text for z in _ZW)


def _frame(columns: list[pl.Series]) -> pl.DataFrame:
    """A frame of these columns (as long as each other), without running a query: for picking
    and renaming columns on the read path, where a ``select`` per file costs more than the
    work (a query wakes polars' worker threads)."""
    return pl.DataFrame(columns)


def _xlsx_sheet_xml(zf: zipfile.ZipFile, sheet_name: str) -> str | None:
    wb = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"', tag)
        if name and rid and _xml_unescape(name.group(1)) == sheet_name:
            rel = re.search(rf'<Relationship\b[^>]*Id="{re.escape(rid.group(1))}"[^>]*>', rels)
            target = re.search(r'Target="([^"]*)"', rel.group(0)) if rel else None
            if target:
                t = target.group(1).lstrip("/")
                return t if t.startswith("xl/") else "xl/" + t
    return None


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _xlsx_first_row(path: Path, sheet_name: str) -> int:
    """The Excel row number of the first row holding a value (calamine skips leading empty rows)."""
    try:
        with zipfile.ZipFile(path) as zf:
            member = _xlsx_sheet_xml(zf, sheet_name)
            if member is None:
                return 1
            xml = zf.read(member).decode("utf-8", errors="replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return 1
    m = re.search(r'<row\b[^>]*\br="(\d+)"[^>]*>(?:(?!</row>).)*?<(?:\w+:)?(?:v|is)\b', xml, re.S)
    return int(m.group(1)) if m else 1


def xlsx_grid(path: Path, where: Where, sheet: str | int | None) -> Grid:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # fastexcel raises its own error types for broken files
        raise Unreadable(file_problem(where, "unreadable_file", zh=f"（{_short(exc)}）",
                                       en=f" ({_short(exc)})")) from None
    names = list(reader.sheet_names)
    if sheet is None:  # never the first sheet alone when others hold tables too: say so instead
        info = inspect_xlsx(path)
        shown = [s for s in info.sheets if s.state == "visible"]
        tables = [s.name for s in shown if s.last_row == 0 or s.last_row >= 2]  # 0: unknown size
        if len(tables) > 1:
            raise Unreadable(file_problem(where, "several_sheets", value="、".join(tables)))
        sheet = tables[0] if tables else (shown[0].name if shown else 0)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise Unreadable(file_problem(where, "sheet_not_found", value=sheet,
                                           zh=f"；已有：{'、'.join(names)}",
                                           en=f"; available: {', '.join(names)}"))
        sheet_name = names[sheet]
    else:
        if sheet not in names:
            raise Unreadable(file_problem(where, "sheet_not_found", value=sheet,
                                           zh=f"；已有：{'、'.join(names)}",
                                           en=f"; available: {', '.join(names)}"))
        sheet_name = sheet
    _guard_sheet(path, where, sheet_name)
    try:
        frame = reader.load_sheet(sheet_name, header_row=None, dtypes="string").to_polars()
    except Exception as exc:
        raise Unreadable(file_problem(where, "unreadable_file", zh=f"（{_short(exc)}）",
                                       en=f" ({_short(exc)})")) from None
    if frame.width == 0 or frame.height == 0:
        raise Unreadable(Problem(where.file, None, None, None, "empty_sheet",
                                  "工作表是空的", "the sheet is empty", "请选择有数据的工作表",
                                  "choose the sheet that holds the data", sheet=sheet_name))
    frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
    frame = frame.select(pl.all().cast(pl.String))
    frame = _exact_numbers(reader, sheet_name, frame)
    start = _xlsx_first_row(path, sheet_name)
    frame = frame.with_columns(_row=pl.int_range(start, start + pl.len(), dtype=pl.Int64))
    return Grid(frame, sheet=sheet_name)


def _number_text(f: pl.Expr) -> pl.Expr:
    """Shortest exact text of a float; whole numbers without ".0" (Excel stores 8 as 8.0)."""
    whole = f.is_finite() & (f == f.round(0)) & (f.abs() < 1e15)
    return pl.when(whole).then(f.cast(pl.Int64).cast(pl.String)).otherwise(f.cast(pl.String))


def _exact_numbers(reader, sheet_name: str, text: pl.DataFrame) -> pl.DataFrame:
    """calamine's text of a float cell is rounded (0.1+0.2 → "0.3"); take numeric columns from a
    typed read instead, so numbers survive exactly. Mixed columns keep calamine's text."""
    try:
        typed = reader.load_sheet(sheet_name, header_row=0).to_polars()
    except Exception:
        return text
    if typed.height != text.height - 1 or typed.width != text.width:
        return text
    fixes = []
    for i, (name, dtype) in enumerate(typed.schema.items()):
        if dtype == pl.Float64:
            body = typed.select(_number_text(pl.col(name))).to_series()
            fixes.append(pl.concat([text[f"c{i}"][:1], body]).alias(f"c{i}"))
    return text.with_columns(fixes) if fixes else text


def parquet_grid(path: Path, where: Where) -> Grid:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise Unreadable(file_problem(where, "unreadable_file", zh=f"（{_short(exc)}）",
                                       en=f" ({_short(exc)})")) from None
    nested = [(name, dtype) for name, dtype in frame.schema.items()
              if dtype.is_nested() or dtype in (pl.Binary, pl.Object)]
    if nested:  # a list, struct or binary column has no cell text a user could check
        name, dtype = nested[0]
        raise Unreadable(file_problem(
            where, "unreadable_file", column=str(name), value=str(dtype),
            zh=f"（列“{name}”的类型 {dtype} 是列表、结构或二进制，不是单元格的文字或数字）",
            en=f" (column {name!r} has type {dtype}: a list, struct or binary column, not "
            "text or numbers in cells)"))
    header = pl.DataFrame([pl.Series(f"c{i}", [name], pl.String)
                           for i, name in enumerate(frame.columns)])
    body = frame.select([_to_text(frame[c]).alias(f"c{i}") for i, c in enumerate(frame.columns)])
    cells = pl.concat([header, body]) if frame.width else header
    cells = cells.with_columns(_row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    return Grid(cells)


def _to_text(s: pl.Series) -> pl.Series:
    if isinstance(s.dtype, pl.Datetime) and s.dtype.time_zone is not None:
        # an instant (UTC or any zone) is shown as the wall-clock time in China, not the
        # zone it was stored in: 02:00Z is 10:00 in Asia/Shanghai (issue 18, item 8)
        s = s.dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
    if s.dtype == pl.Datetime or s.dtype == pl.Date:
        return s.dt.strftime("%Y-%m-%d %H:%M:%S%.f")
    return s.cast(pl.String)


def _short(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _load_grid(path: Path, where: Where, sheet: str | int | None) -> Grid:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return csv_grid(path, where)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        if path.stat().st_size == 0:
            raise Unreadable(file_problem(where, "empty_file"))
        return xlsx_grid(path, where, sheet)
    if suffix == ".parquet":
        return parquet_grid(path, where)
    raise Unreadable(file_problem(where, "unsupported_format", value=path.suffix))


# --------------------------------------------------------------------------- header + body


@dataclass
class Sheet:
    """A grid split into headers and a body of trimmed text cells keyed by unique headers."""

    headers: list[str]  # as typed, in order (unique; duplicates dropped with a problem)
    body: pl.DataFrame  # one column per header (text, trimmed, "" -> null) + _row
    problems: list[Problem] = field(default_factory=list)


_ZW = "\u200b\u200c\u200d\u2060\ufeff"
#: spaces and zero-width characters at either end of a cell (trimmed, like spaces)
_EDGE_SPACE = rf"^[\s{_ZW}]+|[\s{_ZW}]+$"
_EDGE_INVISIBLE = rf"^[\s{_ZW}]*[{_ZW}]|[{_ZW}][\s{_ZW}]*$"
#: the characters of the regex class ``\s`` (Unicode White_Space), which ``str.strip_chars()``
#: also strips: trimming them and ``_ZW`` is ``_EDGE_SPACE`` without a regex (tested)
_WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")


def _warn_invisible(where: Where, n: int) -> None:
    """A note, not an error: zero-width characters at a cell's ends are trimmed like spaces, so
    ``JY001\u200b`` is the unit JY001 — but the user should know the file carries them."""
    import warnings

    from evaltools.errors import EvalToolsWarning

    name = where.file or ""
    warnings.warn(f"{name}：{n} 个单元格首尾有不可见字符（零宽空格 U+200B 等），已像空格一样去掉 | "
                  f"{name}: {n} cell(s) had invisible characters (zero-width space U+200B …) at "
                  "their ends; trimmed like spaces", EvalToolsWarning, stacklevel=4)


def split_header(grid: Grid, where: Where) -> Sheet:
    cells = grid.cells
    cols = [c for c in cells.columns if c != "_row"]
    invisible = 0
    if grid.zero_width is not False:  # None: not known, look
        invisible = cells.select(pl.sum_horizontal(
            pl.col(c).str.contains(_EDGE_INVISIBLE).fill_null(False).sum() for c in cols)).item()
    if invisible:
        _warn_invisible(where, int(invisible))
    # the same as str.replace_all(_EDGE_SPACE, ""), without a regex
    chars = None if grid.zero_width is False else _WHITE_SPACE + _ZW
    cells = cells.lazy().with_columns(
        [pl.col(c).str.strip_chars(chars).replace("", None) for c in cols]
    ).filter(~pl.all_horizontal(pl.col(c).is_null() for c in cols)
             ).collect(engine=engine_for(cells.height))
    if cells.is_empty():
        rule = "empty_sheet" if grid.sheet else "empty_file"
        raise Unreadable(file_problem(where, rule))
    head = cells.row(0, named=True)
    body = cells.slice(1)
    named = [c for c in cols if head[c] is not None]
    width = cols.index(named[-1]) + 1
    problems: list[Problem] = []
    extra = cols[width:]
    if extra:
        ragged = (body.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in extra))
                  .select("_row", _v=pl.coalesce(extra)))
        problems += [Problem(where.file, r, None, v, "ragged_row", "这一行的单元格比表头多",
                             "this row has more cells than the header",
                             "请检查是否多了逗号，或给多出的列补上表头",
                             "look for a stray comma, or give the extra column a header",
                             sheet=where.sheet)
                     for r, v in ragged.iter_rows()]
    headers: list[str] = []
    select: list[pl.Series] = []
    seen: dict[str, str] = {}
    for i, c in enumerate(cols[:width]):
        h = head[c] if head[c] is not None else f"（第{i + 1}列）"
        key = normalize_header(h)
        if key in seen:
            problems.append(file_problem(where, "duplicate_header", column=h))
            continue
        seen[key] = h
        headers.append(h)
        select.append(body.get_column(c).alias(h))
    body = _frame([*select, body.get_column("_row")])
    return Sheet(headers, body, problems)


# --------------------------------------------------------------------------- per-file state


@dataclass
class ReadState:
    """One file being read: raw cells, working frame and everything found so far."""

    where: Where
    raw: pl.DataFrame  # the user's rows as typed (+ _row)
    work: pl.DataFrame  # typed canonical columns + c__text (+ c__header) + extras + _row
    extras: list[str]
    problems: list[Problem]
    fatal: bool = False
    skipped: int = 0
    # rows rejected by a grouped problem (one problem for many rows: it names only the first)
    hidden: pl.DataFrame | None = None
    # every unit id is one of the units table's (resolve_units found no other): the cross-file
    # check of unit ids has nothing to find
    units_known: bool = False


def empty_frame(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: DTYPES[c.kind] for c in TABLES[table].columns})


def _failed_state(where: Where, problem: Problem) -> ReadState:
    raw = pl.DataFrame(schema={"_row": pl.Int64})
    return ReadState(where, raw, raw, [], [problem], fatal=True)


def _map_headers(sheet: Sheet, where: Where) -> tuple[dict[str, str], list[str], list[Problem]]:
    """canonical -> header; headers that map to nothing; duplicate-meaning problems."""
    mapping: dict[str, str] = {}
    unmatched: list[str] = []
    problems: list[Problem] = []
    for h in sheet.headers:
        name = canonical_name(h, where.table)
        if name is None:
            unmatched.append(h)
        elif name in mapping:
            problems.append(file_problem(
                where, "duplicate_header", column=h,
                zh=f"（与 “{mapping[name]}” 指同一列 {name}）",
                en=f" (means the same column '{name}' as '{mapping[name]}')"))
        else:
            mapping[name] = h
    return mapping, unmatched, problems


def _text_columns(body: pl.DataFrame, mapping: dict[str, str]) -> list[pl.Expr]:
    return [pl.col(h).alias(f"{name}__text") for name, h in mapping.items()]


def _wide_scores(sheet: Sheet, where: Where, mapping: dict[str, str], unmatched: list[str],
                 rubric: Rubric | None) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Reshape a wide score sheet (one column per criterion) into long form, or None."""
    problems: list[Problem] = []
    ignored = {normalize_header(h) for h in WIDE_IGNORED}
    candidates = [h for h in unmatched if normalize_header(h) not in ignored]
    crit: dict[str, str] = {}
    if rubric is not None:
        lookup: dict[str, str] = {}
        for c in rubric.criteria:
            lookup.setdefault(normalize_header(c.id), c.id)
            lookup.setdefault(normalize_header(c.name), c.id)
        names = [c.name for c in rubric.criteria] + [c.id for c in rubric.criteria]
        for h in candidates:
            cid = lookup.get(normalize_header(h))
            if cid is None:  # 环境卫生（30分）: the name without its maximum
                cid = lookup.get(normalize_header(split_criterion_header(h)[0]))
            if cid is not None:
                crit[h] = cid
            else:
                near = closest_header(split_criterion_header(h)[0], names)
                allowed = "、".join(f"{c.id}（{c.name}）" for c in rubric.criteria)
                problems.append(file_problem(
                    where, "unknown_criterion", column=h, value=h,
                    zh=(f"；您是不是想写 {near}？" if near else "") + f"可用的指标：{allowed}",
                    en=(f"; did you mean {near}?" if near else "")
                    + f" allowed: {', '.join(c.id for c in rubric.criteria)}"))
    else:
        crit = {h: h for h in candidates}
    if not crit:
        return None, problems
    index = ["_row", *(f"{n}__text" for n in mapping)]
    long = (sheet.body.select([*(_text_columns(sheet.body, mapping)), *crit, "_row"])
            .unpivot(on=list(crit), index=index, variable_name="criterion__header",
                     value_name="score__text")
            .filter(pl.col("score__text").is_not_null())
            .with_columns(
                criterion__text=pl.col("criterion__header").replace_strict(
                    crit, return_dtype=pl.String),  # the id: a header may carry its maximum
                score__header=pl.col("criterion__header"),
            )
            .with_columns(criterion=pl.col("criterion__header").replace_strict(
                crit, return_dtype=pl.String))
            .sort("_row", maintain_order=True))
    return long, problems


def prepare_sheet(sheet: Sheet, where: Where, rubric: Rubric | None) -> ReadState:
    """Map headers, reshape wide sheets, cast, and run every per-file rule."""
    table = where.table
    spec = TABLES[table]
    mapping, unmatched, problems = _map_headers(sheet, where)
    problems = sheet.problems + problems
    raw = sheet.body
    wide = None
    if table == "scores" and "criterion" not in mapping and "score" not in mapping:
        wide, ps = _wide_scores(sheet, where, mapping, unmatched, rubric)
        problems += ps
    if wide is not None:
        where = Where(where.file, table, where.sheet, {**mapping, "criterion": "指标",
                                                        "score": "得分"})
        work = wide
        extras: list[str] = []
    else:
        where = Where(where.file, table, where.sheet, dict(mapping))
        missing = [n for n in spec.required if n not in mapping]
        if table == "units" and not any(n in mapping for n in UNIT_LOCATION):
            # street / community / courtyard are optional as a set (never invented); a table
            # that gives some of them must give all three
            missing = [n for n in missing if n not in UNIT_LOCATION]
        if missing:
            problems += missing_column_problems(where, missing, unmatched)
            return ReadState(where, raw, raw.select("_row"), [], problems, fatal=True)
        extras = unmatched
        work = _frame([*(raw.get_column(h).alias(f"{name}__text") for name, h in mapping.items()),
                       *(raw.get_column(h) for h in extras), raw.get_column("_row")])
    work, ps = _check_rows(raw, work, where, rubric)
    problems += ps
    return ReadState(where, raw, work, extras, problems)


def _check_rows(raw: pl.DataFrame, work: pl.DataFrame, where: Where,
                rubric: Rubric | None) -> tuple[pl.DataFrame, list[Problem]]:
    """The per-row checks every reader runs: empty file, types, empty required cells, table rules."""
    problems: list[Problem] = []
    if raw.is_empty():
        problems.append(file_problem(where, "no_rows"))
    work, ps = check_rows(work, where, rubric)
    return work, problems + ps


def read_state(path: str | Path, table: str, *, sheet: str | int | None = None,
                rubric: Rubric | None = None) -> ReadState:
    path = Path(path)
    where = Where(path.name, table, sheet if isinstance(sheet, str) else None)
    if not path.is_file():
        return _failed_state(where, file_problem(where, "file_not_found", value=str(path)))
    try:
        grid = _load_grid(path, where, sheet)
        where = Where(path.name, table, grid.sheet)
        sheet_ = split_header(grid, where)
    except Unreadable as exc:
        return _failed_state(where, exc.problem)
    return prepare_sheet(sheet_, where, rubric)


def finish_read(state: ReadState, *, lenient: bool) -> TableRead:
    """Split accepted and rejected rows, count them, and raise in strict mode."""
    where, raw, table = state.where, state.raw, state.where.table
    spec = TABLES[table]
    if state.fatal:
        reason = "；".join(str(p) for p in state.problems if p.row is None)
        bad = raw.select("_row").with_columns(_reason=pl.lit(reason))
    else:
        row_ps = [(p.row, str(p)) for p in state.problems if p.row is not None]
        found = pl.DataFrame(row_ps, schema={"_row": pl.Int64, "_reason": pl.String},
                             orient="row")
        if state.hidden is not None:
            found = pl.concat([found, state.hidden.select("_row", "_reason")
                               .unique(maintain_order=True)])
        bad = (found
               .group_by("_row", maintain_order=True).agg(pl.col("_reason").str.join("\n"))
               .join(raw.select("_row"), on="_row", how="semi")) if found.height else found
    # no row rejected (the usual case): the joins below would keep every row, in order
    rejected = (raw.join(bad, on="_row", how="inner", maintain_order="left") if bad.height
                else raw.clear().with_columns(_reason=pl.lit(None, dtype=pl.String)))
    read = raw.height
    count = FileCount(where.file or "", table, read, read - rejected.height, rejected.height,
                      state.skipped)
    report = ValidationReport(tuple(tidy(state.problems)), (count,))
    if state.fatal:
        data = empty_frame(table)
    else:
        good = (state.work.join(bad.select("_row"), on="_row", how="anti", maintain_order="left")
                if bad.height else state.work)
        cols = []
        for c in spec.columns:  # the schema's columns, typed (a missing one: all null)
            dtype = DTYPES[c.kind]
            if c.name in good.columns:
                col = good.get_column(c.name)
                cols.append(col if col.dtype == dtype else col.cast(dtype))
            else:
                cols.append(pl.Series(c.name, [None], dtype).new_from_index(0, good.height))
        data = _frame([*cols, *(good.get_column(e) for e in state.extras)])
    if not lenient and not report.ok:
        raise ValidationError(report)
    return TableRead(data, report, rejected, state.skipped)


def _check_table_name(table: str) -> None:
    if table not in TABLES:
        raise UsageError.choice("table", table, TABLES)


def read_table(path: str | Path, table: TableName, *, sheet: str | int | None = None,
               lenient: bool = False, rubric: Rubric | None = None) -> TableRead:
    """Read one table from a CSV, ``.xlsx`` or Parquet file and validate it.

    Parameters
    ----------
    path : the file. CSV encodings UTF-8, UTF-8 with BOM, UTF-16 with BOM and GBK/GB18030 are
        detected; ``.xlsx`` is read with calamine; Parquet with polars.
    table : which table the file holds: ``units``, ``judges``, ``scores``, ``deductions``,
        ``ratings``, ``tickets``, ``entries`` or ``votes`` (see ``docs/data-format.md``).
    sheet : for ``.xlsx``, the sheet name or 0-based index (default: the first sheet).
    lenient : keep the good rows and set the others aside instead of raising.
    rubric : enables the rubric checks (criteria, scales, deduction items, rating labels) and
        wide score sheets whose headers are criterion names.

    Returns
    -------
    TableRead
        Unpacks as ``(data, report)``; ``.rejected`` holds the rejected rows (lenient mode).

    Raises
    ------
    ValidationError
        In strict mode when anything is wrong; ``.report`` lists every problem.

    Examples
    --------
    A wide sheet (one column per criterion) is reshaped; row numbers still point at the wide row:

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "wide.csv"
    >>> _ = f.write_text("轮次,楼栋编号,评委,环境卫生,楼道整洁\\n1,B01,J1,9,8\\n1,B02,J1,7,12\\n")
    >>> from evaltools.rubric import Criterion, Rubric
    >>> rubric = Rubric("示例", (Criterion("sanitation", "环境卫生", scale=(0, 10)),
    ...                          Criterion("stairs", "楼道整洁", scale=(0, 10))))
    >>> scores, report = read_table(f, "scores", rubric=rubric, lenient=True)
    >>> scores.select("unit_id", "criterion", "score")
    shape: (2, 3)
    ┌─────────┬────────────┬───────┐
    │ unit_id ┆ criterion  ┆ score │
    │ ---     ┆ ---        ┆ ---   │
    │ str     ┆ str        ┆ f64   │
    ╞═════════╪════════════╪═══════╡
    │ B01     ┆ sanitation ┆ 9.0   │
    │ B01     ┆ stairs     ┆ 8.0   │
    └─────────┴────────────┴───────┘
    >>> p = report.problems[0]
    >>> (p.rule, p.row, p.column, p.value)
    ('out_of_scale', 3, '楼道整洁', '12')
    """
    _check_table_name(table)
    return finish_read(read_state(path, table, sheet=sheet, rubric=rubric), lenient=lenient)


def _reader(table: TableName):
    def read(path: str | Path, *, sheet: str | int | None = None, lenient: bool = False,
             rubric: Rubric | None = None) -> TableRead:
        return read_table(path, table, sheet=sheet, lenient=lenient, rubric=rubric)

    spec = TABLES[table]
    read.__name__ = read.__qualname__ = f"read_{table}"
    read.__doc__ = (f"Read the ``{table}`` table ({spec.label}); same as "
                    f"``read_table(path, {table!r}, ...)``.\n")
    return read


read_units = _reader("units")
read_judges = _reader("judges")
read_scores = _reader("scores")
read_deductions = _reader("deductions")
read_ratings = _reader("ratings")
read_tickets = _reader("tickets")
read_entries = _reader("entries")
read_votes = _reader("votes")


# --------------------------------------------------------------------------- 问卷星

# patterns as text, compiled by ``re`` on first use: most reads never need them
_QNUM = r"^\s*\d+\s*[、.．]\s*"


def _question_key(header: str) -> str:
    """Fold a 问卷星 question header: drop the "3、" number, then normalise.

    >>> _question_key("3、您对楼道卫生是否满意") == _question_key("您对楼道卫生是否满意 ")
    True
    """
    return normalize_header(re.sub(_QNUM, "", str(header)))


def _question_problem(where: Where, question: str, near: str | None) -> Problem:
    if near is None:
        return file_problem(where, "unknown_question", column=question)
    return file_problem(where, "unknown_question", column=question,
                        fix_zh=f"您是不是想写 “{near}”？请检查评分细则 [wjx] 中的题目文字",
                        fix_en=f"did you mean '{near}'? Check the question text in the rubric's "
                        "[wjx] section")


_MATRIX = r"^(?P<q>.*?\S)\s*(?:[—―–]+\s*(?P<a>[^—―–]+?)|[(（](?P<b>[^()（）]+)[)）])\s*$"
_LEADING_NUMBER = r"^\s*(\d+)"


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class _Header(Record):
    """A 问卷星 question header, split for matching: ``5、满意程度—楼道卫生`` has the question key
    满意程度, number 5 and sub-item key 楼道卫生 (a 矩阵题 row)."""

    text: str
    key: str
    question: str | None = None
    number: str | None = None
    sub: str | None = None
    sub_text: str | None = None

    @classmethod
    def parse(cls, text: str) -> _Header:
        m = re.match(_MATRIX, str(text))
        number = re.match(_LEADING_NUMBER, str(text))
        num = number.group(1) if number else None
        if m is None:
            return cls(text, _question_key(text), number=num)
        sub = (m.group("a") or m.group("b")).strip()
        return cls(text, _question_key(text), _question_key(m.group("q")), num,
                   normalize_header(sub), sub)

    def in_question(self, other: _Header) -> bool:
        """This header is a sub-item of the (matrix) question ``other`` names."""
        if self.sub is None:
            return False
        if other.key and self.question == other.key:
            return True
        # 问卷星 may head a matrix row "5(楼道卫生)": the question's number is all there is
        return (self.question is not None and self.question.isdigit()
                and other.number is not None and self.question == other.number)


def _wjx_columns(headers: list[str], mapping: WjxMapping, where: Where
                 ) -> tuple[dict[str, str], list[Problem]]:
    """Question header → item: the mapping's ``items`` (full header, header in another matrix
    form, or a matrix sub-item alone) and every sub-item of its ``matrix`` questions."""
    parsed = [_Header.parse(h) for h in headers]
    shared: dict[str | None, int] = {}  # matrix questions: a question key two or more headers are sub-items of
    for h in parsed:
        if h.sub is not None:
            shared[h.question] = shared.get(h.question, 0) + 1
    items: dict[str, str] = {}
    problems: list[Problem] = []
    item_keys = {normalize_header(re.sub(_QNUM, "", k)): v for k, v in mapping.items.items()}
    for q, item in mapping.items.items():
        want = _Header.parse(q)
        hits = [h for h in parsed if h.key == want.key]
        if not hits and want.sub is not None:  # the same matrix row written the other way
            whole = re.match(_MATRIX, q)
            hits = [h for h in parsed if h.sub == want.sub and want.question is not None
                    and (h.question == want.question or (whole is not None and h.in_question(
                        _Header.parse(whole.group("q")))))]
        if not hits:  # a matrix sub-item on its own ("楼道卫生" = "stairs")
            hits = [h for h in parsed if h.sub is not None and h.sub == normalize_header(q)
                    and shared.get(h.question, 0) >= 2]
        if not hits:
            near = closest_header(re.sub(_QNUM, "", q), [re.sub(_QNUM, "", x) for x in headers])
            problems.append(_question_problem(where, q, near))
        for h in hits:
            items.setdefault(h.text, item)
    for q in mapping.matrix:
        question = _Header.parse(q)
        rows = [h for h in parsed if h.in_question(question)]
        if not rows:
            near = closest_header(re.sub(_QNUM, "", q), [re.sub(_QNUM, "", x) for x in headers])
            problems.append(_question_problem(where, q, near))
        for h in rows:
            if h.sub is not None and h.sub_text is not None:  # rows of a matrix question
                items.setdefault(h.text, item_keys.get(h.sub, h.sub_text))
    return items, problems


def _rated_items(rubric: Rubric | None, items: dict[str, str]) -> list[str]:
    """The items whose answers must be ratings (as validate's ratings check decides)."""
    if rubric is not None:
        rated = [c for c in rubric.criteria if c.source == "ratings"]
        if rated and all(c.items for c in rated):
            return [i for c in rated for i in c.items]
    return list(dict.fromkeys(items.values()))


def _decode_options(long: pl.DataFrame, options: tuple[str, ...], rated: list[str]) -> pl.DataFrame:
    """按序号 export: an answer code 1..k of a rated item becomes the k-th option's label."""
    code = pl.col("rating__text").cast(pl.Int64, strict=False)
    decode = (pl.col("item__text").is_in(rated) & pl.col("rating__text").str.contains(r"^\d+$")
              & code.is_between(1, len(options)))
    codes = {str(i + 1): label for i, label in enumerate(options)}
    label = pl.col("rating__text").replace_strict(codes, default=None, return_dtype=pl.String)
    return long.with_columns(rating__text=pl.when(decode).then(label)
                             .otherwise(pl.col("rating__text")))


def _codes_problem(where: Where, answers: pl.Series, rubric: Rubric | None) -> Problem | None:
    """All answers of the rated items are whole numbers but the rubric's labels are words: a
    按序号 export whose codes cannot be read as values (code 1 is the first option, usually the
    best — read as the value 1 it would be the worst)."""
    labels = (rubric.ratings if rubric is not None else RatingsConfig()).labels
    if answers.is_empty() or not answers.str.contains(r"^\d+$").all():
        return None
    if all(re.fullmatch(r"-?\d+(\.\d+)?", k.strip()) for k in labels):
        return None  # a numeric scale: the numbers are values
    from evaltools.scales import detect_scale

    guess = detect_scale(answers)
    codes = "、".join(sorted(answers.unique().to_list(), key=int)[:10])
    numeric = guess.toml().replace("\n", "；") if guess is not None else ""
    numeric_en = guess.toml().replace("\n", "; ") if guess is not None else ""
    return Problem(
        where.file, None, None, codes, "answer_codes",
        "评价题的答案全是数字，像是问卷星“按序号”下载的选项序号（1 = 问卷中的第一个选项）；评分细则 "
        "[ratings] 的等级是文字，无法确定序号对应哪个等级",
        "every answer to the rated questions is a whole number, like the option codes of a "
        "问卷星 download 'by option number' (1 = the first option in the questionnaire); the "
        "rubric's [ratings] labels are words, so the codes cannot be matched to them",
        "请在 rubric.toml 的 [wjx] 中按问卷里的选项顺序写 options = [\"很满意\", \"满意\", …]，"
        "或改用“按选项文本”下载"
        + (f"；若这是 {guess.name} 的数字量表题，请把 [ratings] 改为：{numeric}"
           if guess is not None else ""),
        "list the options in questionnaire order as options = [...] in the rubric's [wjx], or "
        "download 'by option text'"
        + (f"; if it is a numeric {guess.name} scale, set [ratings] to: {numeric_en}"
           if guess is not None else ""),
        sheet=where.sheet)


def _group_label_problems(state_problems: list[Problem], work: pl.DataFrame, where: Where,
                          answers: pl.Series, rubric: Rubric | None
                          ) -> tuple[list[Problem], pl.DataFrame | None]:
    """One problem per distinct unknown rating label (count, first rows, the questions), instead
    of one per answer; the rows stay rejected (returned as hidden rows)."""
    label_ps = [p for p in state_problems if p.rule == "unknown_rating_label"]
    if not label_ps:
        return state_problems, None
    others = [p for p in state_problems if p.rule != "unknown_rating_label"]
    frame = pl.DataFrame(
        {"_row": [p.row for p in label_ps], "value": [str(p.value) for p in label_ps],
         "column": [p.column for p in label_ps], "_reason": [str(p) for p in label_ps]},
        schema={"_row": pl.Int64, "value": pl.String, "column": pl.String, "_reason": pl.String})
    cfg = rubric.ratings if rubric is not None else RatingsConfig()
    from evaltools.scales import detect_scale

    guess = detect_scale(answers)
    hint_zh = hint_en = ""
    if guess is not None and set(guess.labels) != set(cfg.labels):
        hint_zh = (f"答案是{guess.name}量表：请把 rubric.toml 的 [ratings] 改为 "
                   + guess.toml().replace("\n", "；"))
        hint_en = (f"the answers use the {guess.name} scale: set the rubric's [ratings] to "
                   + guess.toml().replace("\n", "; "))
    grouped = (frame.group_by("value", maintain_order=True)
               .agg(pl.len().alias("n"), pl.col("_row").unique(maintain_order=True).alias("rows"),
                    pl.col("column").unique(maintain_order=True).alias("columns"),
                    pl.col("_reason").first()))
    firsts = {p.value if p.value is None else str(p.value): p for p in label_ps}
    out = list(others)
    hidden = []
    for value, n, rows, columns, _ in grouped.iter_rows():  # one per distinct label
        first = firsts[value]
        listed = "、".join(map(str, rows[:5])) + ("…" if len(rows) > 5 else "")
        listed_en = ", ".join(map(str, rows[:5])) + (", …" if len(rows) > 5 else "")
        qs_zh = f"，涉及 {len(columns)} 道题" if len(columns) > 1 else ""
        qs_en = f", in {len(columns)} questions" if len(columns) > 1 else ""
        p = Problem(first.file, rows[0], first.column, value, "unknown_rating_label",
                    first.zh + (f"；共 {n} 个答案（第{listed}行{qs_zh}）" if n > 1 else ""),
                    first.en + (f"; {n} answers (rows {listed_en}{qs_en})" if n > 1 else ""),
                    hint_zh or first.fix_zh, hint_en or first.fix_en, sheet=first.sheet)
        out.append(p)
        hidden += [(r, str(p)) for r in rows]
    return out, pl.DataFrame(hidden, schema={"_row": pl.Int64, "_reason": pl.String},
                             orient="row")


def wjx_state(path: str | Path, mapping: WjxMapping, *, sheet: str | int | None,
               rubric: Rubric | None, units: pl.DataFrame | None = None) -> ReadState:
    path = Path(path)
    where = Where(path.name, "ratings", None)
    if not path.is_file():
        return _failed_state(where, file_problem(where, "file_not_found", value=str(path)))
    try:
        grid = _load_grid(path, where, sheet)
        where = Where(path.name, "ratings", grid.sheet)
        sheet_ = split_header(grid, where)
    except Unreadable as exc:
        return _failed_state(where, exc.problem)
    raw = sheet_.body
    by_key = {_question_key(h): h for h in sheet_.headers}
    problems = list(sheet_.problems)
    fatal = False
    meta = {"respondent_id": "序号", "submitted_at": "提交答卷时间"}
    found: dict[str, str] = {}
    for name, label in meta.items():
        h = by_key.get(normalize_header(label))
        if h is None:
            problems += missing_column_problems(where, [name], sheet_.headers)
            fatal = True
        else:
            found[name] = h
    unit_h = by_key.get(_question_key(mapping.unit_question))
    items, ps = _wjx_columns(sheet_.headers, mapping, where)
    problems += ps
    if unit_h is None:
        near = closest_header(re.sub(_QNUM, "", mapping.unit_question),
                              [re.sub(_QNUM, "", x) for x in sheet_.headers])
        problems.append(_question_problem(where, mapping.unit_question, near))
        fatal = True
    if fatal or not items:
        if not items and not fatal:
            fatal = True
        return ReadState(Where(where.file, "ratings", where.sheet, found), raw, raw.select("_row"),
                      [], problems, fatal=True)
    assert unit_h is not None  # a missing unit question is fatal (returned above)
    headers = {**found, "unit_id": unit_h, "item": "题目", "rating": "评价"}
    where = Where(where.file, "ratings", where.sheet, headers)
    unit_text = pl.col(unit_h)
    unit_text = pl.when(~unit_text.is_in(list(WJX_MISSING))).then(unit_text)
    if mapping.unit_labels:
        unit_text = unit_text.replace(mapping.unit_labels)
    base = raw.select(
        "_row",
        respondent_id__text=pl.col(found["respondent_id"]),
        submitted_at__text=pl.col(found["submitted_at"]),
        unit_id__text=unit_text,
        **{h: pl.col(h) for h in items},
    )
    long = (base.unpivot(on=list(items), index=["_row", "respondent_id__text",
                                                 "submitted_at__text", "unit_id__text"],
                         variable_name="rating__header", value_name="rating__text")
            .with_columns(item__text=pl.col("rating__header").replace_strict(
                items, return_dtype=pl.String)))
    is_missing = pl.col("rating__text").is_null() | pl.col("rating__text").is_in(list(WJX_MISSING))
    skipped = long.filter(is_missing).height
    work = long.filter(~is_missing).with_columns(item__header=pl.col("rating__header"))
    work = work.sort("_row", maintain_order=True)
    rated = _rated_items(rubric, items)
    answers = work.filter(pl.col("item__text").is_in(rated))["rating__text"]
    if mapping.options:
        work = _decode_options(work, mapping.options, rated)
    else:
        codes = _codes_problem(where, answers, rubric)
        if codes is not None:
            return ReadState(where, raw, raw.select("_row"), [], [*problems, codes], fatal=True,
                          skipped=skipped)
    work, ps = _check_rows(raw, work, where, rubric)
    answers = work.filter(pl.col("item__text").is_in(rated))["rating__text"]
    ps, hidden = _group_label_problems(ps, work, where, answers, rubric)
    problems += ps
    state = ReadState(where, raw, work, [], problems, skipped=skipped, hidden=hidden)
    if units is not None:
        resolve_units(state, units, group_unmatched=True)
    return state


def resolve_units(state: ReadState, units: pl.DataFrame, *, group_unmatched: bool) -> None:
    """Map a file's unit column onto ``units`` by id or by name (:mod:`evaltools.unitnames`).

    Values that are ids of ``units`` stay. Others are matched by the folded id (``JY001`` with a
    zero-width space or in full-width letters: replaced, with an :class:`EvalToolsWarning` note)
    or by the normalised name (铝厂生活区13号楼 → its id). With ``group_unmatched`` (问卷星
    exports, where a name is typed or picked by hundreds of residents), each name that matches no
    unit, or several, is one problem with its count, first rows and closest units, and its rows
    are rejected; otherwise they are left to the per-row cross-file check (``unknown_unit``).
    """
    if state.fatal or "unit_id" not in state.work.columns or "unit_id" not in units.columns:
        return
    known = units["unit_id"].cast(pl.String).drop_nulls().unique()
    work = state.work
    odd = work.filter(pl.col("unit_id").is_not_null()
                      & ~pl.col("unit_id").is_in(known.implode()))
    if odd.is_empty():
        state.units_known = True
        return
    from evaltools.unitnames import match_units, unmatched_name_problems

    matches = match_units(odd["unit_id"], units)
    found = matches.filter(pl.col("unit_id").is_not_null())
    if found.height:
        state.work = work = work.with_columns(unit_id=pl.col("unit_id").replace(
            found["value"], found["unit_id"]))
        changed = found.filter(pl.col("changed"))
        if changed.height:
            import warnings

            from evaltools.errors import EvalToolsWarning

            pairs = "、".join(f"{v!r}→{u}" for v, u in changed.select("value", "unit_id")
                             .head(5).iter_rows())
            warnings.warn(
                f"{state.where.file}：单位编号含不可见字符或全角字符，已按参评单位表读取：{pairs} | "
                f"{state.where.file}: unit ids with invisible or full-width characters were read "
                f"as the units table's ids: {pairs}", EvalToolsWarning, stacklevel=3)
    if not group_unmatched:
        return
    bad = matches.filter(pl.col("unit_id").is_null())
    if bad.is_empty():
        return
    values = bad["value"]
    rows = (work.filter(pl.col("unit_id").is_in(values.implode()))
            .unique("_row", keep="first", maintain_order=True))
    text = "unit_id__text" if "unit_id__text" in rows.columns else "unit_id"
    # the message shows the answer as typed; matching used the value after unit_labels
    shown = rows.select(pl.col("unit_id").alias("value"), pl.col(text).alias("typed"))
    typed = dict(zip(shown["value"], shown["typed"], strict=True))
    bad = bad.with_columns(value=pl.col("value").replace(typed))
    ps = unmatched_name_problems(rows[text], bad, file=state.where.file,
                                 column=state.where.header("unit_id"), rows=rows["_row"],
                                 sheet=state.where.sheet)
    if _all_digits(bad["value"]):
        ps = [_with_code_hint(p) for p in ps]
    state.problems += ps
    reasons = {p.value: str(p) for p in ps}
    hidden = rows.select("_row", pl.col(text).replace_strict(reasons, default=None)
                         .alias("_reason")).drop_nulls("_reason")
    state.hidden = hidden if state.hidden is None else pl.concat([state.hidden, hidden])
    # their rows are rejected by the grouped problem; the cross-file check must not repeat it
    state.work = work.with_columns(unit_id=pl.when(pl.col("unit_id").is_in(values.implode()))
                                   .then(None).otherwise(pl.col("unit_id")))


def _all_digits(values: pl.Series) -> bool:
    return bool(values.len()) and bool(values.cast(pl.String).str.contains(r"^\d+$").all())


def _with_code_hint(p: Problem) -> Problem:
    """A building answered by a number: a 按序号 export of the building question."""
    from dataclasses import replace

    return replace(p, fix_zh=p.fix_zh + "；若这是问卷星“按序号”下载的楼栋选项序号，请在 [wjx.unit_labels] "
                   "中写明序号对应的单位编号（如 \"3\" = \"JY003\"），或改用“按选项文本”下载",
                   fix_en=p.fix_en + "; if these are option codes of a 问卷星 download 'by option "
                   "number', map them in [wjx.unit_labels] (e.g. \"3\" = \"JY003\") or download "
                   "'by option text'")


def read_survey_answers(path: str | Path, *, sheet: str | int | None = None) -> pl.DataFrame:
    """The answers of a 问卷星 export as typed, before any mapping: one text column per header
    (trimmed, empty cells null), for drafting a ``[wjx]`` section from the questions and answers.

    Raises
    ------
    ValidationError
        When the file cannot be read (the problem names the file and why).
    """
    path = Path(path)
    where = Where(path.name, "ratings", None)
    try:
        grid = _load_grid(path, where, sheet)
        body = split_header(grid, Where(path.name, "ratings", grid.sheet)).body
    except Unreadable as exc:
        raise ValidationError(ValidationReport((exc.problem,))) from None
    return body.drop("_row")


def read_wjx(path: str | Path, mapping: WjxMapping | None = None, *,
             sheet: str | int | None = None, lenient: bool = False,
             rubric: Rubric | None = None, units: pl.DataFrame | None = None) -> TableRead:
    """Read a 问卷星 (wjx.cn) export into the ``ratings`` table.

    The export has metadata columns (序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP) and one
    column per question, headed like ``3、您对楼道卫生是否满意``. ``mapping`` (the rubric's
    ``[wjx]`` section) names the question that identifies the building and the questions that
    become rating items; headers match with or without their number. ``序号`` becomes
    ``respondent_id`` and ``提交答卷时间`` becomes ``submitted_at``. Answers ``-2`` (skipped) and
    ``-3`` (not shown) and empty answers are missing, not errors: they are dropped and counted in
    ``.skipped``. Multi-select answers joined with ``┋`` are kept as text. Rows are counted per
    respondent (one row of the export).

    * **按文本 and 按序号.** Answers are labels (按选项文本) or option codes 1..k (按序号); codes
      are decoded with the mapping's ``options`` (the options in questionnaire order). Codes
      without ``options`` while the rubric's labels are words are one ``answer_codes`` problem
      (code 1 is the first option, usually the best: reading it as the value 1 would invert the
      scale). Numbers are values when the rubric's labels are numbers (a 1–10 scale).
    * **矩阵题.** Sub-item columns (``5、您对以下方面的满意程度—楼道卫生``, ``…(楼道卫生)``,
      ``5(楼道卫生)``) are one item each: list the question in ``matrix``, or map a sub-item in
      ``items`` by its full header or by the sub-item alone (``"楼道卫生" = "stairs"``).
    * **Buildings by name or id.** With ``units`` (the units table), answers that name a building
      (铝厂生活区13号楼, 13栋, full-width digits …) are matched by :mod:`evaltools.unitnames`;
      a name that matches no unit is one ``unknown_unit`` problem with its count, first rows
      and closest units. ``unit_labels`` maps anything else (e.g. option codes).
    * **Unknown labels** are one problem per distinct label with its count and first rows (Excel
      rows of the export); when the answers fit a common scale other than the rubric's
      (:func:`evaltools.scales.detect_scale`), the fix gives the ``[ratings]`` lines to use.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "wjx.csv"
    >>> _ = f.write_text(
    ...     "序号,提交答卷时间,所用时间,来源,来源详情,来自IP,1、您居住的楼栋,2、您对楼道卫生是否满意\\n"
    ...     "1,2024/05/01 10:01:59,35秒,手机提交,直接访问,1.2.3.4(河南-洛阳),三湾街18号楼,满意\\n"
    ...     "2,2024/05/01 10:05:00,40秒,微信,N/A,1.2.3.5(河南-洛阳),三湾街18号楼,-2\\n",
    ...     encoding="gbk")
    >>> m = WjxMapping("您居住的楼栋", {"您对楼道卫生是否满意": "stairs"},
    ...                unit_labels={"三湾街18号楼": "B01"})
    >>> res = read_wjx(f, m)
    >>> res.data.select("unit_id", "respondent_id", "submitted_at", "item", "rating")
    shape: (1, 5)
    ┌─────────┬───────────────┬─────────────────────┬────────┬────────┐
    │ unit_id ┆ respondent_id ┆ submitted_at        ┆ item   ┆ rating │
    │ ---     ┆ ---           ┆ ---                 ┆ ---    ┆ ---    │
    │ str     ┆ str           ┆ datetime[μs]        ┆ str    ┆ str    │
    ╞═════════╪═══════════════╪═════════════════════╪════════╪════════╡
    │ B01     ┆ 1             ┆ 2024-05-01 10:01:59 ┆ stairs ┆ 满意   │
    └─────────┴───────────────┴─────────────────────┴────────┴────────┘
    >>> res.skipped
    1
    >>> print(res.report.summary().replace(str(f), "wjx.csv"))
    wjx.csv: 读取 2 行，接受 2，拒绝 0，另有 1 个未作答（跳过/未显示）的答案不计入 | read 2, accepted 2, rejected 0; 1 unanswered (skipped/not shown) answer(s) not counted
    """
    if mapping is None:
        if rubric is None or rubric.wjx is None:
            raise UsageError("需要问卷星题目对应关系（评分细则的 [wjx] 部分）",
                             "a WjxMapping (the rubric's [wjx] section) is required")
        mapping = rubric.wjx
    return finish_read(wjx_state(path, mapping, sheet=sheet, rubric=rubric, units=units),
                   lenient=lenient)


# --------------------------------------------------------------------------- workbook inspection

#: Limits checked before a workbook is read (a zip bomb or a cell at XFD1048576 is refused).
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 200
XLSX_MAX_ROWS = 100_000
XLSX_MAX_COLUMNS = 500

#: an A1-style cell reference (compiled by ``re`` on first use)
CELL_REF = r"^([A-Z]{1,3})(\d+)$"


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(16383)
    ('A', 'Z', 'AA', 'XFD')
    """
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class SheetInfo(Record):
    """One sheet of an ``.xlsx`` as stored: name, visibility (``visible``, ``hidden``,
    ``veryHidden``), the stored dimension (last row, last column, 1-based; 0 when unknown),
    formula cells without a cached value and error cells (``#DIV/0!`` …) as ``(cell, text)``."""

    name: str
    state: str
    last_row: int
    last_column: int
    formulas_without_value: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class XlsxInfo(Record):
    """What :func:`inspect_xlsx` found: the sheets in workbook order, or ``problem`` when the file
    must not be read (damaged, too large once unzipped, absurd dimensions)."""

    sheets: tuple[SheetInfo, ...] = ()
    problem: Problem | None = None


_C_TAG = r"(?s)<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)"


def _scan_cells(xml: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    formulas, errors = [], []
    for m in re.finditer(_C_TAG, xml):
        attrs, inner = m.group(1), m.group(2) or ""
        ref = re.search(r'\br="([A-Z]+\d+)"', attrs)
        if ref is None:
            continue
        has_f = re.search(r"<(?:\w+:)?f\b", inner) is not None
        v = re.search(r"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", inner, re.S)
        if 't="e"' in attrs:
            errors.append((ref.group(1), _xml_unescape(v.group(1)) if v else "#错误"))
        elif has_f and (v is None or v.group(1) == ""):
            formulas.append(ref.group(1))
    return tuple(formulas), tuple(errors)


def _xml_extent(xml: str) -> tuple[int, int]:
    """(last row, last column) of a sheet's XML: the larger of the stored dimension and the
    cells actually present (a file may lie about its dimension)."""
    last_row = last_col = 0
    dim = re.search(r'<(?:\w+:)?dimension\b[^>]*\bref="([^"]*)"', xml)
    if dim:
        last = re.match(CELL_REF, dim.group(1).split(":")[-1])
        if last:
            last_col, last_row = column_index(last.group(1)) + 1, int(last.group(2))
    rows = re.findall(r'<(?:\w+:)?row\b[^>]*?\br="(\d+)"', xml)
    if rows:
        last_row = max(last_row, max(int(r) for r in rows))
    cols = set(re.findall(r'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})\d+"', xml))
    if cols:
        last_col = max(last_col, max(column_index(c) + 1 for c in cols))
    return last_row, last_col


def _guard_sheet(path: Path, where: Where, sheet_name: str) -> None:
    """Refuse a sheet whose used range would not fit in memory (a cell at XFD1048576) or a
    workbook that unpacks to far more than it weighs (a zip bomb), before calamine loads it."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > XLSX_MAX_UNCOMPRESSED or total / packed > XLSX_MAX_RATIO:
                raise Unreadable(file_problem(
                    where, "workbook_too_large", value=f"{total // 1024 // 1024} MB",
                    zh=f"（解压后 {total // 1024 // 1024} MB，压缩比 {total / packed:.0f}:1）",
                    en=f" ({total // 1024 // 1024} MB unpacked, ratio {total / packed:.0f}:1)"))
            member = _xlsx_sheet_xml(zf, sheet_name)
            if member is None:
                return
            last_row, last_col = _xml_extent(zf.read(member).decode("utf-8", errors="replace"))
    except (KeyError, zipfile.BadZipFile, OSError):
        return  # calamine reports a damaged file itself
    if last_row > XLSX_MAX_ROWS or last_col > XLSX_MAX_COLUMNS:
        raise Unreadable(Problem(
            where.file, None, None, f"{column_letter(max(last_col, 1) - 1)}{last_row}",
            "sheet_too_large", "工作表的已用区域过大（可能有单元格被误填在很远的位置），未读取",
            "the sheet's used range is too large (a cell far away, e.g. at XFD1048576); not read",
            "请在 Excel 中删除表格以外的行列后保存",
            "delete the rows and columns beyond the table in Excel and save", sheet=sheet_name))


def inspect_xlsx(path: str | Path) -> XlsxInfo:
    """Look inside an ``.xlsx`` before reading it: sheet visibility, stored dimensions, formula
    cells without a cached value and error cells, with size guards (zip bombs, a cell at
    XFD1048576). Nothing is unpacked beyond the workbook index and the sheets' XML, and each
    member's declared size is checked before it is read.

    >>> import tempfile, pathlib, xlsxwriter
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "w.xlsx"
    >>> wb = xlsxwriter.Workbook(f); ws = wb.add_worksheet("张伟")
    >>> _ = ws.write_row(0, 0, ["a", 1]); _ = ws.write_formula(1, 1, "=1/0", None, "#DIV/0!")
    >>> old = wb.add_worksheet("旧"); old.hide()
    >>> wb.close()
    >>> info = inspect_xlsx(f)
    >>> [(s.name, s.state, s.last_row, s.errors) for s in info.sheets]
    [('张伟', 'visible', 2, (('B2', '#DIV/0!'),)), ('旧', 'hidden', 1, ())]
    """
    path = Path(path)
    where = Where(path.name, "scores")
    try:
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: i for i in zf.infolist()}
            total = sum(i.file_size for i in members.values())
            packed = sum(i.compress_size for i in members.values()) or 1
            if total > XLSX_MAX_UNCOMPRESSED or total / packed > XLSX_MAX_RATIO:
                return XlsxInfo(problem=file_problem(
                    where, "workbook_too_large", value=f"{total // 1024 // 1024} MB",
                    zh=f"（解压后 {total // 1024 // 1024} MB，压缩比 {total / packed:.0f}:1）",
                    en=f" ({total // 1024 // 1024} MB unpacked, ratio {total / packed:.0f}:1)"))
            wb = zf.read("xl/workbook.xml").decode("utf-8")
            sheets = []
            for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", wb):
                tag = m.group(0)
                name = re.search(r'\bname="([^"]*)"', tag)
                state = re.search(r'\bstate="([^"]*)"', tag)
                if name is None:
                    continue
                sname = _xml_unescape(name.group(1))
                member = _xlsx_sheet_xml(zf, sname)
                last_row = last_col = 0
                formulas: tuple[str, ...] = ()
                errors: tuple[tuple[str, str], ...] = ()
                if member is not None and member in members:
                    xml = zf.read(member).decode("utf-8", errors="replace")
                    last_row, last_col = _xml_extent(xml)
                    formulas, errors = _scan_cells(xml)
                sheets.append(SheetInfo(sname, state.group(1) if state else "visible",
                                        last_row, last_col, formulas, errors))
    except (KeyError, zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
        return XlsxInfo(problem=file_problem(where, "unreadable_file", zh=f"（{_short(exc)}）",
                                             en=f" ({_short(exc)})"))
    return XlsxInfo(tuple(sheets))


def read_text(path: str | Path) -> str:
    """A small text file (a rubric, notes) decoded with :func:`decode_text`."""
    return decode_text(Path(path).read_bytes())[0]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes as the user gave it (for the audit of raw files)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
