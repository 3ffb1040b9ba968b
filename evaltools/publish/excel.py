"""The Excel workbook of a leaderboard: :func:`write_excel`.

One sheet per published table, formats, frozen panes and widths, fixed document properties.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import polars as pl

from evaltools import labels
from evaltools.publish.audit import audit_table, dataset_inputs, generated_at
from evaltools.publish.html import is_rate, round_text
from evaltools.publish.notice import star_names
from evaltools.publish.privacy import judge_aliases, mask_personal, publish_judges, publishable
from evaltools.publish.tables import (
    comments_table,
    default_sections,
    judges_table,
    method_lines,
    notes_zh,
    published_table,
    satisfaction_table,
    values_table,
    weights_table,
    with_intervals,
)
from evaltools.writing import atomic_write_bytes, check_output_path

if TYPE_CHECKING:
    from evaltools.leaderboard import Leaderboard
    from evaltools.robustness import RankIntervals

__all__ = ["HEADER_ROW", "excel_table", "movement_number", "write_excel"]


# =============================================================================================
# Excel
# =============================================================================================


#: 0-based index of the header row on every table sheet: row 1 holds the title, row 2 the
#: organiser / period / round line, row 3 the headers (``read_options={"header_row": 2}``).
HEADER_ROW = 2
#: widest column (Excel units); longer text wraps inside the cell
MAX_WIDTH = 40.0
#: fills of the top three rows of 总榜 (gold, silver, bronze, light enough to print in grey)
TOP_FILLS = {1: "#FFE699", 2: "#E7E6E6", 3: "#F8CBAD"}
#: font colour of 不合格 and 取消资格
FAIL_RED = "#C00000"
#: the 名次变化 number format: ▲2 (up two places), ▼1 (down one), — (unchanged)
MOVEMENT_FORMAT = '"▲"0;"▼"0;"—"'


def _display_width(frame: pl.DataFrame) -> dict[str, float]:
    """Column widths in Excel units: CJK characters count two (UTF-8 bytes − chars)/2 + chars;
    at most :data:`MAX_WIDTH` (longer text wraps)."""
    if frame.width == 0:
        return {}
    widths = {}
    # chars + (bytes − chars)/2 = (bytes + chars)/2, exactly; one expression over every column
    # (one per column cost ≈ 0.1 ms each to build and plan: 总榜 has 25; issue 17)
    text = pl.all().cast(pl.String)
    stats = frame.select(((text.str.len_bytes() + text.str.len_chars()) / 2).max()).row(
        0, named=True) if frame.height else dict.fromkeys(frame.columns, 0)
    for n in frame.columns:
        header = len(n) + (len(n.encode("utf-8")) - len(n)) / 2
        widths[n] = min(max(float(stats[n] or 0), header) + 2.5, MAX_WIDTH)
    return widths


def movement_number(movement: str | pl.Expr) -> pl.Expr:
    """The places gained since the previous round as a number (▲2 → 2, ▼1 → −1, — → 0); null
    for 新上榜 and for units without a rank. Excel shows it with :data:`MOVEMENT_FORMAT`.

    Examples
    --------
    >>> pl.DataFrame({"m": ["▲2", "▼1", "—", "新上榜", None]}).select(
    ...     movement_number("m"))["m"].to_list()
    [2, -1, 0, None, None]
    """
    m = pl.col(movement) if isinstance(movement, str) else movement
    n = m.str.extract(r"^[▲▼](\d+)$", 1).cast(pl.Int64)
    return (pl.when(m.str.starts_with("▲")).then(n).when(m.str.starts_with("▼")).then(-n)
            .when(m == "—").then(pl.lit(0, pl.Int64)).otherwise(pl.lit(None, pl.Int64))
            .alias(movement if isinstance(movement, str) else "movement"))


def excel_table(lb: Any) -> pl.DataFrame:
    """总榜 as the workbook holds it: :func:`~evaltools.publish.tables.published_table` with
    星级 as ★ text (:func:`evaltools.labels.stars_expr`: ★★★, — for none) followed by 星级名称
    (卫生星、平安星 …, when the rubric has stars) and 名次变化 as a number (:func:`movement_number`; the
    sheet writes 新上榜 as text where the number is empty). Booleans become 是/否 when written.

    Examples
    --------
    >>> from evaltools.examples import two_buildings
    >>> excel_table(two_buildings()).select("名次", "星级", "名次变化").rows()
    [(1, '—', None), (2, '—', None)]
    """
    t = published_table(lb)
    cols = []
    if "星级" in t.columns:
        cols.append(labels.stars_expr("星级"))
        if lb.rubric.stars:  # the stars by name, after 星级, as on the page
            order = [*t.columns]
            order.insert(order.index("星级") + 1, "星级名称")
            names = star_names(lb).select(
                pl.col("unit_id").alias("单位编号"),
                pl.col("star_names").replace("", labels.NONE_TEXT).alias("星级名称"))
            t = t.join(names, on="单位编号", how="left", maintain_order="left").select(order)
    if "名次变化" in t.columns:
        cols.append(movement_number("名次变化").alias("名次变化"))
    return t.with_columns(cols) if cols else t


def title_lines(lb: Any, generated: datetime) -> tuple[str, str]:
    """The two title rows of every sheet: "<rubric name><round>评比结果", then organiser,
    period, round and the generation date."""
    r = lb.rubric
    rnd = round_text(lb)
    title = f"{r.name}{rnd}评比结果"
    facts = [f"主办单位：{r.organiser}" if r.organiser else "",
             f"评比期间：{r.period}" if r.period else "",
             f"轮次：{rnd}" if rnd else "", f"生成日期：{generated:%Y年%m月%d日}"]
    return title, "　".join(f for f in facts if f)


class _Book:
    """An xlsxwriter workbook with the formats every sheet shares (deterministic bytes)."""

    def __init__(self, target: BinaryIO, lb: Leaderboard, generated: datetime):
        import xlsxwriter

        self.wb = xlsxwriter.Workbook(target, {
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
            "nan_inf_to_errors": True,
            # the sheets' XML stays in memory until zipped: no temporary file per part written,
            # stamped, read back and removed (≈ 10 ms of CPU on the sample); the parts'
            # bytes are the same, the zip entries carry xlsxwriter's fixed 1980-01-01 stamp
            "in_memory": True,
        })
        r = lb.rubric
        self.title, self.subtitle = title_lines(lb, generated)
        self.wb.set_properties({
            "title": self.title,
            "subject": "榜单公示",
            "author": r.organiser or "evaltools",
            "company": r.organiser or "",
            "comments": "由 evaltools 生成",
            "created": generated.astimezone(UTC).replace(tzinfo=None),  # xlsxwriter writes UTC
        })
        self.digits = r.digits
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.header = self.fmt(bold=True, bg_color="#F6F1EA", border=1, align="center",
                               valign="vcenter", text_wrap=True)
        self.bold = self.fmt(bold=True)
        self.title_fmt = self.fmt(bold=True, font_size=14)
        self.subtitle_fmt = self.fmt(font_color="#595959")
        # quote_prefix: a text cell stays text even when edited (=, +, -, @ never become formulas)
        self.text = self.props(quote_prefix=True, valign="top")
        self.score = self.props(num_format="0." + "0" * r.digits if r.digits else "0",
                                valign="top")
        self.rate = self.props(num_format="0.0%", valign="top")
        self.integer = self.props(num_format="0", valign="top")
        self.when = self.props(num_format="yyyy-mm-dd hh:mm", valign="top")

    @staticmethod
    def props(**kw: Any) -> dict[str, Any]:
        return kw

    def fmt(self, **props: Any) -> Any:
        """One shared format per set of properties (xlsxwriter formats are not merged)."""
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def _page(self, ws: Any, ncols: int, *, repeat: int | None) -> None:
        """Title rows; A4 landscape, fitted to the page width, header row on every page,
        page numbers in the footer."""
        last = max(ncols - 1, 0)
        if last:
            ws.merge_range(0, 0, 0, last, self.title, self.title_fmt)
            ws.merge_range(1, 0, 1, last, self.subtitle, self.subtitle_fmt)
        else:
            ws.write_string(0, 0, self.title, self.title_fmt)
            ws.write_string(1, 0, self.subtitle, self.subtitle_fmt)
        ws.set_row(0, 24)
        ws.set_paper(9)                      # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)                # one page wide, as many pages tall as needed
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.center_horizontally()
        if repeat is not None:
            ws.repeat_rows(repeat)
        ws.set_footer("&C第 &P 页 共 &N 页")

    def sheet(self, name: str, frame: pl.DataFrame, *, freeze_cols: int = 0,
              round_floats: bool = True) -> Any:
        """One table per sheet under the title rows: header row (row 3) frozen and repeated on
        every printed page, widths fitted to Chinese text (long text wraps), rates (满意率,
        得分率 …) as percentages, booleans as 是/否, 名次变化 with ▲/▼."""
        from evaltools.publish.xlsxrows import BlockSheet
        from evaltools.rounding import round_half_up

        ws = self.wb.add_worksheet(name, worksheet_class=BlockSheet)
        self._page(ws, frame.width, repeat=HEADER_ROW)
        rates = tuple(n for n, t in frame.schema.items() if t.is_float() and is_rate(n))
        floats = [n for n, t in frame.schema.items() if t.is_float() and n not in rates]
        bools = [n for n, t in frame.schema.items() if t == pl.Boolean]
        if round_floats and floats:
            frame = frame.with_columns(round_half_up(n, self.digits) for n in floats)
        if bools:
            frame = frame.with_columns(pl.when(pl.col(n)).then(pl.lit("是"))
                                       .when(pl.col(n).is_not_null()).then(pl.lit("否"))
                                       .otherwise(pl.lit(None, pl.String)).alias(n)
                                       for n in bools)
        widths = _display_width(frame)
        self.columns: dict[str, tuple[int, pl.Series, dict[str, Any]]] = {}
        self.replaced: dict[tuple[int, int], Any] = {}  # (row, col) → value written over
        ws.set_row(HEADER_ROW, 30)
        data, formats = [], []
        for j, (col, dtype) in enumerate(frame.schema.items()):
            values = frame[col]
            if col in rates:
                props, width = self.rate, max(widths[col], 9)
            elif col == "名次变化" and dtype.is_integer():
                props, width = {**self.integer, "num_format": MOVEMENT_FORMAT,
                                "align": "center"}, max(widths[col], 9)
            elif dtype.is_float():
                props, width = self.score, max(widths[col], 8)
            elif dtype.is_integer():
                props, width = self.integer, widths[col]
            elif dtype.is_temporal():
                props, width = self.when, max(widths[col], 17)
                values = values.cast(pl.Datetime("us"))
            else:
                props, width = self.text, widths[col]
                values = values.cast(pl.String)
                if width >= MAX_WIDTH:
                    props = {**props, "text_wrap": True}
            data.append(values)
            formats.append(self.fmt(**props))
            ws.set_column(j, j, width)
            self.columns[col] = (j, values, props)
        # the cells' XML is built column-wise at close (evaltools.publish.xlsxrows)
        ws.write_block(HEADER_ROW + 1, pl.DataFrame(data), formats,
                       header=(HEADER_ROW, self.header))
        ws.freeze_panes(HEADER_ROW + 1, freeze_cols)
        if frame.height and frame.width:
            ws.autofilter(HEADER_ROW, 0, HEADER_ROW + frame.height, frame.width - 1)
        return ws

    def restyle(self, ws: Any, rows: list[int], cols: list[str] | None, **extra: Any) -> None:
        """Write the cells of ``rows`` (0-based data rows) again with ``extra`` properties (a
        fill, a red font) on top of their column's format; ``cols`` None = every column."""
        for col, (j, cells, props) in self.columns.items():
            if cols is not None and col not in cols:
                continue
            f = self.fmt(**{**props, **extra})
            for i in rows:
                value = self.replaced.get((i, j), cells[i])
                _write(ws, HEADER_ROW + 1 + i, j, value, f)

    def key_values(self, name: str, blocks: list[tuple[str, pl.DataFrame]]) -> None:
        """Several small tables on one sheet, each under a bold title; long text wraps."""
        ws = self.wb.add_worksheet(name)
        ncols = max((f.width for _, f in blocks), default=1)
        self._page(ws, ncols, repeat=None)
        row = HEADER_ROW
        widths: dict[int, float] = {}
        for _title, frame in blocks:
            for j, w in enumerate(_display_width(frame).values()):
                widths[j] = max(widths.get(j, 0.0), w)
        for title, frame in blocks:
            ws.write_string(row, 0, title, self.bold)
            row += 1
            for j, col in enumerate(frame.columns):
                ws.write_string(row, j, col, self.header)
            for j, col in enumerate(frame.columns):
                values = frame[col]
                if values.dtype == pl.String:
                    props = {**self.text, "text_wrap": True} if widths[j] >= MAX_WIDTH \
                        else self.text
                    f = self.fmt(**props)
                elif values.dtype.is_float():
                    f = self.fmt(**{**self.score, "num_format": "0.0000"})
                else:
                    f = self.fmt(**self.integer) if values.dtype.is_integer() else None
                ws.write_column(row + 1, j, values.to_list(), f)
            if frame.width == 2 and frame.dtypes == [pl.String, pl.String]:
                # key → value blocks: 轮次 is a number (the page shows it as text)
                keys, vals = frame.get_column(frame.columns[0]), frame.get_column(frame.columns[1])
                hits = frame.with_row_index("_i").filter(
                    (keys == "轮次") & vals.str.contains(r"^[1-9]\d{0,5}$"))
                for i, v in hits.select("_i", frame.columns[1]).iter_rows():
                    ws.write_number(row + 1 + i, 1, int(v), self.fmt(**self.integer))
            row += frame.height + 2
        for j, w in widths.items():
            ws.set_column(j, j, w)

    def close(self) -> None:
        self.wb.close()


def _write(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _highlight(book: _Book, ws: Any, board: pl.DataFrame) -> None:
    """Top three rows filled gold / silver / bronze; 不合格 and 取消资格 in red."""
    idx = board.with_row_index("_i")
    if "名次" in board.columns:
        for rank, colour in TOP_FILLS.items():
            rows = idx.filter(pl.col("名次") == rank)["_i"].to_list()
            book.restyle(ws, rows, None, bg_color=colour)
    red = {"font_color": FAIL_RED, "bold": True}
    if "等级" in board.columns:
        book.restyle(ws, idx.filter(pl.col("等级") == "不合格")["_i"].to_list(), ["等级"], **red)
    if "取消资格" in board.columns:
        rows = idx.filter(pl.col("取消资格").fill_null(False))["_i"].to_list()
        book.restyle(ws, rows, ["取消资格", "排名"], **red)


def write_excel(lb: Leaderboard, path: str | Path, *, generated: datetime | None = None,
                sections: Mapping[str, pl.DataFrame] | None = None,
                intervals: RankIntervals | pl.DataFrame | None = None,
                supersedes: Any = None) -> Path:
    """Write the leaderboard workbook, ready for an office to file and print.

    Sheets: 总榜 (the leaderboard, :func:`excel_table`), 分项得分 (unit × criterion: value, max
    points or weight, deductions, points), 评委明细 (the round's raw scores, judges by id and
    role), 评委宽严度 (:func:`evaltools.judging.judge_report`), 满意度 (per unit, when there are
    review cards), 群众留言 (only when the rubric allows comments), 方法与权重, 审计; then
    ``sections`` (None = :func:`default_sections`: 民情速递站 and 晒最美 when present), personal
    columns masked. ``intervals`` adds 名次区间 columns (rank_lower / rank_upper) to 总榜.
    ``supersedes`` (a :class:`~evaltools.publish.corrections.Supersession`) adds the sheet 更正说明
    after 总榜 and chains the previous publication's hashes in 审计.

    Every sheet starts with a title row ("<name><round>评比结果") and a row with organiser,
    period, round and date; the headers are row 3 (:data:`HEADER_ROW`), frozen, repeated on every
    printed page. Pages are A4 landscape, one page wide, numbered "第 x 页 共 y 页". Widths fit
    Chinese text up to 40 characters; longer text wraps. Numbers are rounded 四舍五入 to the
    rubric's decimals and formatted; booleans read 是/否; 名次变化 is a number shown ▲2 / ▼1 /
    — (format ``"▲"0;"▼"0;"—"``, 新上榜 as text); 星级 is ★★★ text (— for none) with 星级名称 beside it; the top three rows are
    filled gold, silver and bronze; 不合格 and 取消资格 are red. Text cells are written as text
    (never formulas). Fixed document properties (created = generation time) make the bytes
    reproducible.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evaltools.examples import two_buildings
    >>> out = write_excel(two_buildings(), pathlib.Path(tempfile.mkdtemp()) / "榜单.xlsx")
    >>> pl.read_excel(out, sheet_name="总榜", read_options={"header_row": HEADER_ROW},
    ...               schema_overrides={"总分": pl.Float64}).select("排名", "单位编号", "总分")
    shape: (2, 3)
    ┌───────┬──────────┬──────┐
    │ 排名  ┆ 单位编号 ┆ 总分 │
    │ ---   ┆ ---      ┆ ---  │
    │ str   ┆ str      ┆ f64  │
    ╞═══════╪══════════╪══════╡
    │ 第1名 ┆ A        ┆ 94.0 │
    │ 第2名 ┆ B        ┆ 80.0 │
    └───────┴──────────┴──────┘
    """
    from evaltools.judging import judge_report

    generated = generated or generated_at()
    lb = publishable(with_intervals(lb, intervals))  # phones, ID numbers, bidi: issue 18
    sections = default_sections(lb) if sections is None else sections
    path = check_output_path(path, inputs=dataset_inputs(lb))
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # the workbook is written whole, then replaces the file in one rename
    book = _Book(buffer, lb, generated)
    try:
        board = excel_table(lb)
        ws = book.sheet("总榜", board, freeze_cols=4)
        if "名次变化" in board.columns:  # 新上榜 has no number: written as text
            new = published_table(lb).with_row_index("_i").filter(
                pl.col("名次变化") == "新上榜")["_i"].to_list()
            j, _, props = book.columns["名次变化"]
            for i in new:
                book.replaced[i, j] = "新上榜"
                ws.write_string(HEADER_ROW + 1 + i, j, "新上榜",
                                book.fmt(**{**props, "align": "center"}))
        _highlight(book, ws, board)
        if supersedes is not None:
            book.sheet("更正说明", supersedes.table, freeze_cols=2)
        values = values_table(lb)
        book.sheet("分项得分", values, freeze_cols=2)
        judges = judges_table(lb)
        if judges is not None and judges.height:
            book.sheet("评委明细", judges, round_floats=False, freeze_cols=2)
            scores = lb.dataset.scores
            assert scores is not None  # judges_table found the judges' scores
            raw = scores.filter(pl.col("criterion").is_in(
                [c.id for c in lb.rubric.criteria if c.source == "judges"]))
            if isinstance(lb.round, int):
                raw = raw.filter(pl.col("round") == lb.round)
            rep = judge_report(raw.with_columns(pl.col("judge_id").cast(pl.String)))
            rep = publish_judges(rep, judge_aliases(lb))
            book.sheet("评委宽严度", rep.select(
                pl.col("judge_id").alias("评委编号"), pl.col("n").cast(pl.Int64).alias("打分数"),
                pl.col("mean").alias("平均分"), pl.col("sd").alias("标准差"),
                pl.col("leniency").alias("宽严度"), pl.col("loo_corr").alias("与其他评委相关"),
                pl.col("robust_z").alias("稳健z值"), pl.col("outlier").alias("需复核")))
        sat = satisfaction_table(lb)
        if sat is not None:
            book.sheet("满意度", sat)
        comments = comments_table(lb)
        if comments is not None:
            book.sheet("群众留言", comments)
        for name, frame in sections.items():
            book.sheet(name[:31], mask_personal(frame))
        method = pl.DataFrame(method_lines(lb), schema={"项目": pl.String, "说明": pl.String},
                              orient="row")
        book.key_values("方法与权重", [("计算方法", method), ("指标与权重", weights_table(lb)),
                                        ("说明", notes_zh(lb).with_row_index("序号", offset=1)
                                                .with_columns(pl.col("序号").cast(pl.Int64)))])
        book.key_values("审计", [("审计信息", audit_table(
            lb, generated=generated,
            previous=supersedes.chain if supersedes is not None else ()))])
    finally:
        book.close()
    atomic_write_bytes(path, buffer.getvalue())
    return path
