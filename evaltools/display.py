"""Tables for people: one function, :func:`show`, renders a polars frame as a readable table.

Every notebook and the app show frames through it, so a reader never sees a dtype row,
``shape:``, ``null``, ``true``/``false``, an English column header or a name wrapped one character
per line. :func:`show` renames columns to their Chinese labels (the schema's, the leaderboard's,
then ``labels=``), writes shares as percentages (``91.6 %``), numbers with fixed decimals, 是/否
for booleans, ★ for star counts and ``—`` for a missing value; it shows every row, or the first
``rows`` with an explicit "前 N 行，共 M 行". The HTML is drawn by great-tables (formats, offline:
no font or script is fetched) inside a horizontally scrolled box with unwrapped cells, with a
fixed table id so notebook outputs are stable; the plain-text form is a simple aligned table.

Examples
--------
>>> t = show(pl.DataFrame({"unit_id": ["A", "B"], "satisfaction_rate": [0.916, None],
...                        "disqualified": [False, True], "stars": [2, 0]}))
>>> print(t)
单位编号  满意率     取消资格  星级
A         91.6 %     否        ★★
B         —          是        —
>>> t.frame.columns
['单位编号', '满意率', '取消资格', '星级']
>>> print(show(pl.DataFrame({"x": range(5)}), labels={"x": "序号"}, rows=2))
序号
0
1
前 2 行，共 5 行
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from evaltools.leaderboard import TABLE_LABELS
from evaltools.schema import TABLES

__all__ = ["LABELS", "Table", "show"]


def _schema_labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for spec in TABLES.values():
        for col in spec.columns:
            out.setdefault(col.name, col.label)
    return out


#: English column name → Chinese header (schema labels, leaderboard labels, common results).
LABELS: dict[str, str] = {
    **_schema_labels(),
    **TABLE_LABELS,
    "n": "有效评价数", "n_answers": "答题数", "n_satisfied": "满意数",
    "satisfaction_rate": "满意率", "satisfaction_rate_answers": "满意率（按答题）",
    "wilson_lower": "满意率下限", "wilson_upper": "满意率上限", "mean": "平均分",
    "bayesian_average": "贝叶斯平均", "top2box": "前两档占比", "sd": "标准差",
    "leniency": "宽严度", "loo_corr": "留一相关", "robust_z": "稳健 z 分", "flag": "标记",
    "judge_id": "评委", "n_scores": "评分数", "n_units": "楼栋数", "round": "轮次",
    "form": "形式", "description": "说明", "icc": "ICC", "ci_lower": "区间下限",
    "ci_upper": "区间上限", "kendall_w": "Kendall W", "alpha": "Krippendorff α",
    "n_raters": "评委人数", "n_subjects": "楼栋数", "criterion": "指标", "weight": "权重",
    "share": "得分率", "value": "值", "points": "得分", "rank_change": "名次变化",
}
#: Columns shown as percentages (0.916 → 91.6 %) unless ``percent=`` says otherwise.
PERCENT_HINTS = ("_rate", "rate", "share", "wilson_lower", "wilson_upper", "p_first", "p_top_k",
                 "满意率", "率", "占比", "概率", "top2box")


@dataclass(frozen=True)
class Table:
    """A frame formatted for people: ``frame`` holds the texts shown (Chinese headers, formatted
    cells), ``note`` the "前 N 行，共 M 行" line when rows were left out. Notebooks show its HTML;
    ``str()`` is a plain aligned table."""

    frame: pl.DataFrame
    right: tuple[str, ...]
    note: str = ""
    caption: str = ""
    table_id: str = "evaltools-table"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The table as HTML (great-tables), scrolled sideways when wide, cells unwrapped."""
        from great_tables import GT, style
        from great_tables import loc as gt_loc

        gt = GT(self.frame, id=self.table_id)
        if self.caption:
            gt = gt.tab_header(title=self.caption)
        gt = gt.sub_missing(missing_text="—").tab_options(
            table_font_size="13px", data_row_padding="3px", column_labels_font_weight="bold",
            table_margin_left="0", table_margin_right="0", container_overflow_x="auto")
        if self.right:
            gt = gt.cols_align("right", columns=list(self.right))
        gt = gt.tab_style(style.css("white-space:nowrap"), gt_loc.body())
        body = gt.as_raw_html(inline_css=False)
        note = (f'<p class="evaltools-note" style="margin:2px 0;color:#555">'
                f"{html.escape(self.note)}</p>" if self.note else "")
        return (f'<div class="evaltools-scroll" style="overflow-x:auto;max-width:100%">'
                f"{body}</div>{note}")

    def __str__(self) -> str:
        cols = self.frame.columns
        cells = [cols, *(["—" if v is None else str(v) for v in row]
                         for row in self.frame.iter_rows())]
        widths = [max(_width(r[i]) for r in cells) for i in range(len(cols))]
        lines = ["  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(r)).rstrip()
                 for r in cells]
        if self.caption:
            lines.insert(0, self.caption)
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    __repr__ = __str__


def _width(text: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_percent(name: str, label: str) -> bool:
    return any(name.endswith(h) or label.endswith(h) for h in PERCENT_HINTS)


def show(frame: pl.DataFrame, *, labels: Mapping[str, str] | None = None,
         percent: Iterable[str] | None = None, digits: int | Mapping[str, int] = 2,
         percent_digits: int = 1, rows: int | None = None, stars: Iterable[str] = ("stars",),
         caption: str = "", table_id: str = "evaltools-table") -> Table:
    """A polars frame formatted for people (see the module docstring).

    Parameters
    ----------
    frame : the frame; it is not changed.
    labels : column → header, over the built-in :data:`LABELS` (a column already in Chinese
        keeps its name).
    percent : the columns holding shares (0–1) to show as percentages; default: columns whose
        name or label ends like a rate (``satisfaction_rate``, ``满意率``, ``得分率``, ``概率``).
    digits : decimals of float columns (one number, or per column, by original name or label).
    percent_digits : decimals of percentages.
    rows : show only the first ``rows`` rows, with the note "前 N 行，共 M 行"; default all.
    stars : integer columns shown as that many ★.
    caption : a title above the table.
    table_id : the HTML id (fixed, so notebook outputs do not change between runs).

    Returns
    -------
    Table
        Its HTML is what notebooks and the app display; ``Table.frame`` is the text shown.
    """
    names = {c: {**LABELS, **(labels or {})}.get(c, c) for c in frame.columns}
    pct = set(percent) if percent is not None else {
        c for c, t in frame.schema.items() if t.is_float() and _is_percent(c, names[c])}
    star_cols = set(stars)
    total = frame.height
    shown = frame.head(rows) if rows is not None else frame
    right: list[str] = []
    exprs = []
    for c, t in shown.schema.items():  # a loop over columns, not rows
        col = pl.col(c)
        nd = digits.get(c, digits.get(names[c], 2)) if isinstance(digits, Mapping) else digits
        if c in pct and t.is_numeric():
            e = pl.format("{} %", _fixed(col * 100, percent_digits))
            right.append(names[c])
        elif c in star_cols and t.is_integer():
            e = pl.when(col > 0).then(pl.lit("★").repeat_by(col).list.join(""))
        elif t == pl.Boolean:
            e = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否"))
        elif t.is_float():
            e = _fixed(col, nd)
            right.append(names[c])
        elif t.is_integer():
            e = col.cast(pl.String)
            right.append(names[c])
        elif t == pl.String:
            e = col
        elif isinstance(t, pl.List):
            e = col.cast(pl.List(pl.String)).list.join("、")
        else:
            e = col.cast(pl.String)
        exprs.append(pl.when(col.is_not_null()).then(e).otherwise(None).cast(pl.String)
                     .alias(names[c]))
    text = shown.select(exprs) if exprs else pl.DataFrame()
    note = f"前 {shown.height} 行，共 {total} 行" if shown.height < total else ""
    return Table(text, tuple(right), note, caption, table_id)


def _fixed(expr: pl.Expr, digits: int) -> pl.Expr:
    """Fixed decimals, half-up (四舍五入) as published numbers are; NaN shown as —."""
    from evaltools.rounding import round_half_up

    rounded = round_half_up(expr, digits)
    return (pl.when(expr.is_nan()).then(None)
            .otherwise(rounded.cast(pl.Decimal(38, digits)).cast(pl.String)))
