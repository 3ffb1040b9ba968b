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
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.leaderboard import TABLE_LABELS
from evaltools.schema import TABLES

__all__ = ["LABELS", "Table", "data_path", "file_links", "open_data", "output_path", "quiet_errors",
           "show"]


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
    "n_judges": "评委人数", "outlier": "异常标记", "icc2k": "ICC(2,k)",
    "icc2k_lower": "ICC(2,k) 下限", "icc2k_upper": "ICC(2,k) 上限", "icc3": "ICC(3,1)",
    "kendall_p": "Kendall W 的 p 值", "F": "F 值", "df1": "自由度1", "df2": "自由度2",
    "pval": "p 值", "position": "相邻名次", "upper": "前一名", "lower": "后一名", "gap": "分差",
    "new_weight": "对调所需权重", "change": "权重变化", "fragile": "脆弱", "panel": "评委组",
    "icc_band": "ICC 评价", "w_band": "W 评价", "note": "说明", "satisfied_definition": "满意率口径",
    "street": "街道", "community": "社区", "month": "月份", "category": "类别",
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
        # inline styles too: JupyterLab drops <style> from an untrusted notebook's outputs
        left = [c for c in self.frame.columns if c not in self.right]
        for align, cols in (("right", list(self.right)), ("left", left)):
            if cols:
                gt = gt.cols_align(align, columns=cols)
                css = style.css(f"white-space:nowrap;text-align:{align};padding:3px 8px")
                gt = gt.tab_style(css, gt_loc.body(columns=cols))
                gt = gt.tab_style(css, gt_loc.column_labels(columns=cols))
        body = gt.as_raw_html(inline_css=False)
        note = (f'<p class="evaltools-note" style="margin:2px 0;color:#555">'
                f"{html.escape(self.note)}</p>" if self.note else "")
        return (f'<div class="evaltools-table evaltools-scroll" style="overflow-x:auto;'
                f'max-width:100%">'
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
         percent_digits: int = 1, rows: int | None = None, stars: Iterable[str] = ("stars", "星级"),
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


def data_path(data: str | Path) -> Path:
    """The folder a notebook's ``DATA`` names: an absolute path as is; a relative one from the
    current folder, else from the first parent folder where it exists (notebooks run in
    ``notebooks/``, and ``DATA = "data/sample"`` is relative to the project).

    >>> data_path("data/sample").name
    'sample'
    """
    p = Path(data).expanduser()
    if p.is_absolute() or p.exists():
        return p
    for parent in Path.cwd().resolve().parents:
        if (parent / p).exists():
            return parent / p
    return p


def output_path(out: str | Path) -> Path:
    """Where a notebook writes ``OUT``: an absolute path as is; a relative one under the project
    folder (the first of the current folder and its parents holding ``notebooks/``), so the
    files are in JupyterLab's file list (``make lab`` opens the project folder).

    >>> output_path("输出/榜单").parts[-2:]
    ('输出', '榜单')
    """
    p = Path(out).expanduser()
    if p.is_absolute():
        return p
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir():
            return folder / p
    return here / p


def open_data(data: str | Path, **kwargs: Any) -> Any:
    """Read and check the dataset folder ``DATA`` (:func:`data_path`) with
    :func:`evaltools.dataset.read_dataset`; a user's mistake raises the bilingual error that
    :func:`quiet_errors` shows without a traceback."""
    from evaltools.dataset import read_dataset

    return read_dataset(data_path(data), **kwargs)


def quiet_errors() -> bool:
    """In IPython (JupyterLab, Voila), show a user's data error (:class:`EvalToolsError`) as its
    Chinese and English message, without a Python traceback. Returns whether it was set up."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is there with the notebook extra
        return False
    ip = get_ipython()
    if ip is None:
        return False
    from evaltools.errors import EvalToolsError

    def handler(shell: Any, etype: type, value: BaseException, tb: Any,
                tb_offset: int | None = None) -> None:
        problems = getattr(value, "problems", ())
        lines = ["数据或设置有问题（不是程序错误）| a problem in the data or settings:"]
        lines += [f"• {p.message_zh()}\n  {p.message_en()}" for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"……另有 {len(problems) - 20} 个问题 | and {len(problems) - 20} more")
        print("\n".join(lines))

    ip.set_custom_exc((EvalToolsError,), handler)
    return True


class Links:
    """Download links to published files (HTML for notebooks, names in plain text)."""

    def __init__(self, html_text: str, text: str) -> None:
        self._html, self._text = html_text, text

    def _repr_html_(self) -> str:
        return self._html

    def __repr__(self) -> str:
        return self._text


def file_links(paths: Iterable[str | Path] | Mapping[str, str | Path]) -> Links:
    """Links that download the given files from JupyterLab: ``/files/<path>?download=1`` from
    the project folder (``make lab`` serves it as JupyterLab's root), so the server sends each
    file as a download — 榜单.xlsx then opens in Excel instead of JupyterLab's text editor.
    The link starts with ``/`` on purpose: JupyterLab opens relative links in its own editors.

    >>> print(file_links([output_path("输出/榜单/榜单.xlsx")]))
    下载：榜单.xlsx
    >>> 'href="/files/%E8%BE%93%E5%87%BA/' in file_links([output_path("输出/榜单.xlsx")])._repr_html_()
    True
    """
    from urllib.parse import quote

    items = list(paths.values()) if isinstance(paths, Mapping) else list(paths)
    root = output_path(".").resolve()
    links = []
    for p in map(Path, items):  # a loop over files
        full = p.resolve()
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:  # outside the project folder: JupyterLab cannot serve it
            links.append(f"<li>{html.escape(p.name)}（{html.escape(str(full))}）</li>")
            continue
        links.append(f'<li><a href="/files/{quote(rel)}?download=1" download="'
                     f'{html.escape(p.name)}">{html.escape(p.name)}</a></li>')
    return Links(f"<p>下载：</p><ul>{''.join(links)}</ul>",
                 "下载：" + "、".join(Path(p).name for p in items))
