"""The evaluator's app (评估应用): the whole job in the browser, for staff who do not program.

One job (~850 lines because it is six screens, each a form wired to library calls): the app's
steps and their state; every computation is a library call (importer, dataset, leaderboard,
robustness, publish) and every table goes through :func:`evaltools.display.show`.

``make app`` serves ``notebooks/00_评估应用.ipynb`` with Voila; the notebook only calls
:func:`evaluation_app`. Six steps, one screen each:

1. **选择数据** — a folder on the server (a dropdown of the dataset folders under the data roots),
   or files uploaded from the browser: they go through :func:`evaltools.importer.init_dataset`
   into a new folder under the user's data root, and its findings (files, sheets, criteria) and
   open ``待确认`` decisions are shown as a form (:func:`evaltools.decisions.apply_decisions`
   writes the answers into the draft ``rubric.toml``).
2. **检查** — the validation report as a table (where, what, how to fix) and the row counts.
3. **评分细则** — method, normalisation, judges' aggregate, ties (the explorer's own dropdowns),
   grade bands and stars as text fields, the weights in effect; "保存评分细则" writes them into the
   folder's ``rubric.toml`` with round numbers (:func:`evaltools.rounding.round_to_total`) and
   the user's comments kept (:func:`evaltools.rubric.update_rubric_file`).
4. **榜单** — the weight explorer (:class:`evaltools.widgets.WeightExplorer`): the table follows
   the sliders.
5. **稳健性** — bootstrap rank intervals (:func:`evaltools.robustness.rank_intervals`).
6. **发布** — the files of :func:`evaltools.publish.publish`, written into ``发布/<期间>_<时间>/``
   of the folder (never over an existing folder) and offered as **downloads** in the browser,
   named with the period and time, in two steps with one generation time: the page, workbook,
   CSV, charts and poster at once (:data:`FAST_FORMATS`, in the click's handler), then the whole
   set again with the A4 PDF and the Word notice in a separate process
   (:func:`publish_rest`; the kernel keeps answering the sliders), which replaces the folder as
   one set with one ``SHA256SUMS``; their links are added when it is done. What differs from
   the saved rubric is published as a **草稿** (draft: the title and every file say so), never
   as a 公示, until it is saved.

Every step that takes time disables its button and shows "正在…"; a user's mistake is shown in
Chinese (and English) in the step's message line, never as a traceback. The logic is in plain
functions (:func:`data_folders`, :func:`report_frame`, :func:`is_official`,
:func:`rounded_rubric`, :func:`publish_files`, :func:`download_link`) tested without a browser.

Examples
--------
>>> import dataclasses
>>> from evaltools.rubric import parse_rubric
>>> r = parse_rubric({"competition": {"name": "x", "total_points": 10},
...                   "criteria": [{"id": "a", "name": "甲", "max_points": 6},
...                                {"id": "b", "name": "乙", "max_points": 4}]})
>>> is_official(r, r), is_official(r, r.with_weights({"a": 7, "b": 3}))
(True, False)
>>> odd = dataclasses.replace(r, criteria=tuple(      # as the sliders leave them
...     dataclasses.replace(c, max_points=m) for c, m in zip(r.criteria, (20 / 3, 10 / 3))))
>>> [c.max_points for c in rounded_rubric(odd).criteria]   # 0.5 steps, still 10 in all
[6.5, 3.5]
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import html
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as w
import polars as pl

from evaltools.display import show
from evaltools.errors import EvalToolsError, Problem, ProblemGroup, UsageError, ValidationReport
from evaltools.labels import RULE_ZH
from evaltools.rubric import GradeBand, Rubric, StarRule
from evaltools.widgets import WeightExplorer, rubric_weights

__all__ = [
    "FAST_FORMATS",
    "STEPS",
    "EvalApp",
    "data_folders",
    "download_link",
    "evaluation_app",
    "folder_stamp",
    "format_grades",
    "format_stars",
    "is_official",
    "parse_stars",
    "publish_files",
    "publish_rest",
    "report_frame",
    "rounded_rubric",
    "wait_for_page",
]

STEPS = ("1 选择数据", "2 检查", "3 评分细则", "4 榜单", "5 稳健性", "6 发布")
DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".parquet")
#: Folders that hold outputs, not data (not offered in the folder list).
OUTPUT_DIRS = ("发布", "build", ".ipynb_checkpoints", "photos", "原始文件")
MIME = {".html": "text/html", ".pdf": "application/pdf", ".xlsx": "application/vnd.openxmlformats-officedocument."
        "spreadsheetml.sheet", ".docx": "application/vnd.openxmlformats-officedocument."
        "wordprocessingml.document", ".csv": "text/csv", ".png": "image/png",
        ".svg": "image/svg+xml"}
KIND_LABELS = {"html": "公示页（HTML）", "pdf": "公示页（PDF，A4）", "docx": "Word 公示（可编辑）",
               "xlsx": "Excel 表", "csv": "CSV 表", "png": "总分排名图", "svg": "总分排名图（SVG）",
               "poster": "海报", "manifest": "全部文件的校验值"}
#: What the app publishes at once, in the click's handler; the PDF (WeasyPrint lays out 12 A4
#: pages: ≈ 5 s) and the Word notice follow from a separate process (:func:`publish_rest`).
FAST_FORMATS = "html,xlsx,csv,png,svg,poster"
TABLE_KINDS = {"scores": "评委评分", "units": "参评单位", "wjx": "问卷星导出", None: "未读取"}
_CSS = """<style>
.evaltools-app{max-width:1200px}
.evaltools-app .widget-html-content{white-space:normal}
.evaltools-app .evaltools-nav{flex-flow:row wrap}
.evaltools-app .evaltools-nav .widget-toggle-button{width:auto;min-width:6.5em}
.evaltools-app .evaltools-busy{color:#8a5a00}
.evaltools-app .evaltools-error{color:#c0392b}
.evaltools-app .evaltools-ok{color:#1e7b34}
.evaltools-app a.evaltools-download{display:inline-block;margin:4px 8px 4px 0;padding:6px 12px;
  border:1px solid #1f6fb2;border-radius:4px;color:#1f6fb2;text-decoration:none}
.evaltools-app .jp-OutputArea-output{overflow-x:auto}
@media (max-width:640px){
  .evaltools-app .widget-hbox{flex-direction:column !important;align-items:stretch}
  .evaltools-app .widget-hbox.evaltools-nav,.evaltools-app .widget-hbox.evaltools-weight{
  flex-direction:row !important;flex-wrap:wrap !important}
  .evaltools-app .widget-slider,.evaltools-app .widget-dropdown,.evaltools-app .widget-text,
  .evaltools-app .widget-textarea,.evaltools-app .widget-inline-hbox,
  .evaltools-app .widget-upload,.evaltools-app .widget-button{width:100% !important;
  max-width:100% !important}
  .evaltools-app .widget-slider{flex-wrap:wrap;height:auto !important}
  .evaltools-app .widget-slider .widget-label{width:100% !important;max-width:100% !important;
  text-align:left}
  .evaltools-app .widget-slider .slider-container{flex:1 1 auto;min-width:0;width:auto}
  .evaltools-app .widget-slider .widget-readout{flex:0 0 auto}
  .evaltools-app .widget-dropdown,.evaltools-app .widget-text{box-sizing:border-box}
  .evaltools-app .widget-dropdown select,.evaltools-app .widget-text input{min-width:0;
  flex:1 1 auto;width:auto}
  .evaltools-app .evaltools-percent{display:none}
  .evaltools-app .widget-output{min-width:0 !important;max-width:100%}
  .evaltools-app svg,.evaltools-app img{max-width:100%;height:auto}
}
</style>"""


# --------------------------------------------------------------------------------------------
# logic (no widgets)


def data_folders(roots: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """(label, folder) of the dataset folders under ``roots``: each root's subfolders (two levels
    deep) that hold a ``rubric.toml`` or a data file, output folders (``发布`` …) left out.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "data"
    >>> for sub in ("sample", "a/b", "发布/x"):
    ...     (root / sub).mkdir(parents=True)
    ...     _ = (root / sub / "units.csv").write_text("")
    >>> _ = (root / "sample" / "rubric.toml").write_text("")
    >>> [label for label, _ in data_folders([root])]   # folders with a rubric first
    ['data/sample', 'data/a/b']
    """
    out: list[tuple[str, Path]] = []
    for root in map(Path, roots):
        if not root.is_dir():
            continue
        candidates = sorted({p for p in (*root.glob("*"), *root.glob("*/*")) if p.is_dir()})
        for d in candidates:  # a loop over folders
            rel = d.relative_to(root)
            if any(part in OUTPUT_DIRS or part.startswith(".") for part in rel.parts):
                continue
            has_data = (d / "rubric.toml").is_file() or any(
                f.suffix.lower() in DATA_SUFFIXES for f in d.iterdir() if f.is_file())
            if has_data:
                out.append((f"{root.name}/{rel.as_posix()}", d))
    # folders with a rubric first (they can be evaluated), then the others
    return sorted(out, key=lambda item: not (item[1] / "rubric.toml").is_file())


def report_frame(report: ValidationReport) -> pl.DataFrame:
    """The problems of a validation report as a table people read: 位置 (file, sheet, Excel row,
    column), 问题 (with the value and, for a repeated problem, how many and which rows) and
    怎么改; repeated problems grouped."""
    rows = []
    for item in report.grouped():  # a loop over (grouped) problems, not data rows
        p: Problem = item.first if isinstance(item, ProblemGroup) else item
        where = dataclasses.replace(p, row=None if isinstance(item, ProblemGroup)
                                    else p.row).where_zh()
        text = item.message_zh()
        if where and text.startswith(where + "："):
            text = text[len(where) + 1:]
        rows.append({"位置": where or "—", "问题": text, "英文 | English": item.message_en()})
    return pl.DataFrame(rows, schema={"位置": pl.String, "问题": pl.String,
                                      "英文 | English": pl.String})


def _table_label(table: str | None) -> str:
    """The Chinese name of a table (评委评分, 群众点评 …)."""
    from evaltools.schema import TABLES

    if table in TABLE_KINDS:
        return TABLE_KINDS[table]
    spec = TABLES.get(table or "")
    return spec.label if spec is not None else str(table)


def counts_frame(report: ValidationReport) -> pl.DataFrame:
    """Rows read, accepted and rejected per file (accepted + rejected = read)."""
    return pl.DataFrame(
        [{"文件": c.file, "内容": _table_label(c.table), "读取行数": c.read,
          "接受": c.accepted, "拒绝": c.rejected} for c in report.counts],
        schema={"文件": pl.String, "内容": pl.String, "读取行数": pl.Int64, "接受": pl.Int64,
                "拒绝": pl.Int64})


def _options(r: Rubric) -> tuple:
    return (r.method, r.normalization, r.judge_aggregate, r.ties, r.grades, r.stars)


def is_official(saved: Rubric, current: Rubric, *, tolerance: float = 1e-6) -> bool:
    """True when ``current`` has the saved rubric's weights (to ``tolerance`` percent) and
    options: what is published from it is the 公示; otherwise it is a 草稿."""
    if _options(saved) != _options(current):
        return False
    def shares(r: Rubric) -> dict[str, float]:
        raw = {c.id: float(c.weight if c.weight is not None else c.max_points or 0.0)
               for c in r.criteria}
        s = sum(raw.values()) or 1.0
        return {k: 100.0 * v / s for k, v in raw.items()}

    for a, b in ((rubric_weights(saved), rubric_weights(current)),
                 (shares(saved), shares(current))):
        if a.keys() != b.keys() or any(abs(a[k] - b[k]) > tolerance for k in a):
            return False
    return True


def rounded_rubric(rubric: Rubric, *, step: float = 0.5) -> Rubric:
    """``rubric`` with round weights for saving: with the points method each criterion's
    ``max_points`` to a multiple of ``step`` adding up to what they added up to (the total
    stays); otherwise the weights as percentages to multiples of ``step`` adding up to 100."""
    weights = rubric_weights(rubric)
    if rubric.method == "points" and all(c.max_points is not None for c in rubric.criteria):
        from evaltools.rounding import round_to_total

        budget = sum(float(c.max_points or 0) for c in rubric.criteria)
        new = round_to_total(weights, round(budget / step) * step, step)
        crits = tuple(dataclasses.replace(c, max_points=new[c.id], weight=new[c.id])
                      for c in rubric.criteria)
        return dataclasses.replace(rubric, criteria=crits)
    from evaltools.rounding import round_to_total

    new = round_to_total(weights, 100.0, step)
    return rubric.with_weights(new)


def format_grades(grades: Sequence[GradeBand]) -> str:
    """``优秀 ≥ 90 / 良好 ≥ 80`` (the grade-band field's text)."""
    return " / ".join(f"{g.name} ≥ {g.min:g}" for g in grades)


def format_stars(rubric: Rubric) -> str:
    """``卫生星：环境卫生 ≥ 90%`` one per line (the stars field's text)."""
    names = {c.id: c.name for c in rubric.criteria}
    lines = []
    for s in rubric.stars:
        if s.criterion is not None and s.min_share is not None:
            lines.append(f"{s.name}：{names.get(s.criterion, s.criterion)} ≥ "
                         f"{s.min_share * 100:g}%")
        elif s.min_total is not None:
            lines.append(f"{s.name}：总分 ≥ {s.min_total:g}")
    return "\n".join(lines)


def parse_stars(text: str, rubric: Rubric) -> tuple[StarRule, ...]:
    """The stars field back to rules: ``名称：指标 ≥ 90%`` or ``名称：总分 ≥ 95``.

    >>> from evaltools.examples import two_buildings
    >>> r = two_buildings().rubric
    >>> parse_stars("卫生星：" + r.criteria[0].name + " ≥ 90%\\n高分星：总分 ≥ 95", r)[1]
    StarRule(name='高分星', criterion=None, min_share=None, min_total=95.0)
    """
    from evaltools.errors import UsageError

    ids = {c.name: c.id for c in rubric.criteria} | {c.id: c.id for c in rubric.criteria}
    out = []
    for line in filter(None, (x.strip() for x in text.splitlines())):
        m = re.match(r"(.+?)\s*[:：]\s*(.+?)\s*(?:≥|>=)\s*(\d+(?:\.\d+)?)\s*(%|％)?$", line)
        if m is None:
            raise UsageError(f"星级写法不对：“{line}”（应为“名称：指标 ≥ 90%”或“名称：总分 ≥ 95”）",
                             f"cannot read the star rule '{line}'")
        name, target, number, pct = m.groups()
        if target == "总分":
            out.append(StarRule(name=name, min_total=float(number)))
        elif target in ids:
            share = float(number) / 100 if pct or float(number) > 1 else float(number)
            out.append(StarRule(name=name, criterion=ids[target], min_share=share))
        else:
            raise UsageError(f"星级“{name}”的指标“{target}”不在评分细则中（可选："
                             f"{'、'.join(c.name for c in rubric.criteria)}、总分）",
                             f"star '{name}': unknown criterion '{target}'")
    return tuple(out)


def parse_grade_text(text: str) -> tuple[GradeBand, ...]:
    """The grade-band field back to bands (empty or 不分等级: none)."""
    from evaltools.decisions import parse_grades
    from evaltools.errors import UsageError

    text = text.strip()
    if not text or text == "不分等级":
        return ()
    bands = parse_grades(text)
    if not bands:
        raise UsageError(f"等级写法不对：“{text}”（应为“优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60”）",
                         f"cannot read the grade bands '{text}'")
    return tuple(GradeBand(name=n, min=m) for n, m in bands)


def output_name(rubric: Rubric, when: Any, *, draft: bool) -> str:
    """``2021年第三季度_20211104-0800`` (period or competition name, time; ``草稿_`` first for a
    draft); only characters safe in file names."""
    label = rubric.period or rubric.name
    label = re.sub(r"[\\/:*?\"<>|\s]+", "", label)[:40] or "榜单"
    return ("草稿_" if draft else "") + f"{label}_{when:%Y%m%d-%H%M%S}"


def publish_files(board: Any, folder: str | Path, *, draft: bool,
                  formats: str | None = None, generated: datetime | None = None
                  ) -> dict[str, Path]:
    """Publish ``board`` into a new folder ``folder/发布/<name>`` (never an existing one) with
    :func:`evaltools.publish.publish`; a draft's folder (and so its download names) starts with
    ``草稿_``, and its pages carry the 草稿 banner. ``formats`` as :func:`~evaltools.publish.
    publish` takes them (None: all); ``generated`` is the generation time, which also names the
    folder (default :func:`~evaltools.publish.generated_at`). Returns kind → file path."""
    from evaltools.errors import UsageError
    from evaltools.publish import generated_at, publish

    when = generated if generated is not None else generated_at()
    name = output_name(board.rubric, when, draft=draft)
    target = Path(folder) / "发布" / name
    if target.exists():
        raise UsageError(f"“发布/{name}”已经存在，没有覆盖：请稍后再发布，或先移走那个文件夹",
                         f"'发布/{name}' exists and was not overwritten")
    # a draft's pages say so themselves (evaltools.publish marks a board whose rubric differs
    # from the dataset's saved one: banner 草稿, no 公示期); the folder and file names too
    files = publish(board, target, formats=formats, generated=when)
    return {kind: Path(p) for kind, p in files.items()}


def publish_rest(board: Any, target: str | Path, generated: datetime) -> dict[str, Any]:
    """The second step of publishing from the app, run in a separate process: every format
    (with the A4 PDF and the Word notice) of ``board`` at ``generated`` into ``target``, the
    folder the first step wrote (:data:`FAST_FORMATS` at the same time, so those files come out
    byte-identical); :func:`evaltools.writing.publish_set` replaces it as one set, with one
    ``SHA256SUMS`` of every file. Never raises (what crosses back to the kernel must pickle):
    returns ``{"files": {kind: path}, "notes": [warning texts], "error": None | (zh, en)}``; on
    an error the first step's folder is left as it was."""
    from evaltools.errors import EvalToolsWarning
    from evaltools.publish import publish

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EvalToolsWarning)
        try:
            files = publish(board, target, generated=generated)
        except EvalToolsError as exc:
            problems = list(exc.problems)[:3]
            zh = "；".join(p.message_zh() for p in problems) or str(exc)
            en = "; ".join(p.message_en() for p in problems) or str(exc)
            return {"files": {}, "notes": [], "error": (zh, en)}
        except Exception as exc:  # shown to the user; the fast files stay
            return {"files": {}, "notes": [],
                    "error": (f"程序出错（{type(exc).__name__}）", f"{type(exc).__name__}: {exc}")}
    notes = [str(c.message) for c in caught if issubclass(c.category, EvalToolsWarning)]
    return {"files": {k: str(p) for k, p in files.items()}, "notes": notes, "error": None}


#: The second step's process runs at this lower priority (``nice``): the kernel answering the
#: user (and, on the same machine, a browser drawing the first step's links) comes first.
BACKGROUND_NICE = 10


def _detach_at_low_priority() -> None:
    if hasattr(os, "setsid"):
        os.setsid()
    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICE)


def spawn_executor() -> Executor:
    """One worker process started afresh ("spawn": a kernel with polars' threads is never
    forked) for :func:`publish_rest`, at a lower priority (:data:`BACKGROUND_NICE`): WeasyPrint
    holds the GIL for seconds, which a thread would take from the kernel answering the
    sliders.

    The worker runs in a session of its own (``setsid``): when the user closes the page during
    the PDF and Word step, Voila shuts the kernel down and jupyter_client signals the kernel's
    whole process group; the worker is not in it, so it finishes the set — PDF, Word and the one
    ``SHA256SUMS`` — in the data folder's 发布 folder instead of leaving the first step's files
    without them. It then exits (its queue from the kernel is closed)."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_detach_at_low_priority)


def wait_for_page() -> None:
    """Block until Voila gives this pre-heated kernel to a visit. When a page takes the kernel,
    Voila sends the request's details (URL, query …) on ``ws://<server>/voila/query/<kernel
    id>``; they are put into ``os.environ``, as ``voila.utils.wait_for_request`` does — without
    importing ``voila.utils``, which loads jupyter_server and jupyterlab_server into the kernel
    (1.8 s CPU and 60 MB for every pre-heated kernel). If the server cannot be reached it
    returns (as Voila's does)."""
    import json

    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    env = os.environ
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    url = (f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
           f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID')}")
    try:
        with connect(url, open_timeout=5, max_size=None) as ws:
            info = ws.recv()
    except (OSError, TimeoutError, WebSocketException):
        return
    env.update({str(k): str(v) for k, v in json.loads(info).items()})


def folder_stamp(folder: str | Path) -> tuple:
    """(name, size, modification time) of the files directly in ``folder``, sorted: equal
    stamps mean the dataset reads the same (empty when there is no such folder)."""
    if not Path(folder).is_dir():
        return ()
    files = (f for f in Path(folder).iterdir() if f.is_file())
    return tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files))


def download_link(path: str | Path, *, name: str | None = None, label: str | None = None) -> str:
    """An HTML link that downloads the file from the page itself (a data URI with the
    ``download`` attribute): works in Voila and JupyterLab without a file server route."""
    p = Path(path)
    data = base64.b64encode(p.read_bytes()).decode("ascii")
    mime = MIME.get(p.suffix.lower(), "application/octet-stream")
    shown = html.escape(label or p.name)
    return (f'<a class="evaltools-download" download="{html.escape(name or p.name)}" '
            f'href="data:{mime};base64,{data}">⬇ {shown}</a>')


# --------------------------------------------------------------------------------------------
# the app


@contextmanager
def busy(button: w.Button | None, message: w.HTML, text: str) -> Iterator[None]:
    """Disable ``button`` and show ``text`` (正在…) while the block runs; a user's mistake
    (:class:`EvalToolsError`) is shown in the message line, never raised."""
    if button is not None:
        button.disabled = True
        icon, button.icon = button.icon, "spinner"
    message.value = f"<span class='evaltools-busy'>⏳ {html.escape(text)}</span>"
    try:
        yield
    except EvalToolsError as exc:
        message.value = error_html(exc)
    finally:
        if button is not None:
            button.disabled = False
            button.icon = icon


def error_html(exc: EvalToolsError) -> str:
    """An error in the user's terms: the problems' Chinese (first five), then English."""
    problems = list(getattr(exc, "problems", ()))
    if problems:
        zh = "<br>".join(html.escape(p.message_zh()) for p in problems[:5])
        en = "<br>".join(html.escape(p.message_en()) for p in problems[:5])
        more = f"<br>（另有 {len(problems) - 5} 个问题）" if len(problems) > 5 else ""
    else:
        zh, en, more = html.escape(str(exc)), "", ""
    return (f"<div class='evaltools-error'><b>⚠ {zh}</b>{more}"
            + (f"<br><small>{en}</small>" if en else "") + "</div>")


def _out(outputs: w.Output, *items: Any) -> None:
    """Replace an Output widget's contents with display data (tables, HTML)."""
    bundles = []
    for item in items:
        if isinstance(item, str):
            bundles.append({"output_type": "display_data", "metadata": {},
                            "data": {"text/html": item, "text/plain": html.unescape(
                                re.sub("<[^>]+>", "", item))}})
        else:
            bundles.append({"output_type": "display_data", "metadata": {},
                            "data": {"text/html": item.html(), "text/plain": str(item)}})
    outputs.outputs = tuple(bundles)


class EvalApp:
    """The six-step app (see the module docstring). ``roots`` are the data roots (folders
    offered); ``upload_root`` receives imported folders (default: the last root)."""

    def __init__(self, roots: Sequence[str | Path], *, upload_root: str | Path | None = None,
                 data: str | Path | None = None, top: int = 10, charts: bool = True) -> None:
        self.roots = [Path(r) for r in roots]
        self.upload_root = Path(upload_root) if upload_root is not None else self.roots[-1]
        self.top = top
        self.charts = charts
        self.folder: Path | None = None
        self.dataset: Any = None
        self.saved: Rubric | None = None
        self.explorer: WeightExplorer | None = None
        self.init_result: Any = None
        self.survey: Any = None
        self.decision_inputs: dict[str, w.Widget] = {}
        self.published: dict[str, Path] = {}
        #: makes the executor of a publication's second step (:func:`publish_rest`)
        self.executor: Callable[[], Executor] = spawn_executor
        self._rest: Future | None = None
        self._rest_shown = threading.Event()
        self._visited = False
        self._read_stamp: tuple = ()
        self._build()
        if data is not None:
            self.open_folder(data)

    # ---- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.nav = w.ToggleButtons(options=[(s, i) for i, s in enumerate(STEPS)], value=0,
                                   style={"button_width": "auto"})
        self.nav.add_class("evaltools-nav")
        self.nav.observe(lambda ch: self._go(ch["new"]), names="value")
        self.pages = [self._page_data(), self._page_check(), self._page_rubric(),
                      self._page_board(), self._page_robust(), self._page_publish()]
        self.stack = w.Stack(self.pages, selected_index=0)
        self.current = w.HTML("<p>尚未选择数据 | no data chosen</p>")
        self.widget = w.VBox([w.HTML(_CSS + "<h2>楼栋评比评估</h2>"), self.current, self.nav,
                              self.stack])
        self.widget.add_class("evaltools-app")

    def _go(self, step: int) -> None:
        self.stack.selected_index = step
        if self.nav.value != step:
            self.nav.value = step

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = "（评估应用：请在 Voila 或 JupyterLab 中运行本单元）"
        return data

    # ---- 1 选择数据 ---------------------------------------------------------------------------
    def _page_data(self) -> w.Widget:
        wide = w.Layout(width="32em", max_width="100%")
        self.folder_list = w.Dropdown(description="数据文件夹", style={"description_width": "6em"},
                                      layout=wide)
        self.refresh_folders()
        self.open_button = w.Button(description="打开", icon="folder-open", button_style="primary")
        self.open_button.on_click(lambda _b: self.open_folder(self.folder_list.value))
        self.upload = w.FileUpload(accept=".xlsx,.xlsm,.xls,.csv", multiple=True,
                                   description="选择文件")
        self.import_name = w.Text(value="", placeholder="例如 2021年第三季度",
                                  description="新文件夹名", style={"description_width": "6em"},
                                  layout=wide)
        self.import_button = w.Button(description="导入", icon="upload", button_style="primary")
        self.import_button.on_click(lambda _b: self.import_uploads())
        self.data_msg = w.HTML()
        self.import_out = w.Output()
        self.decisions_box = w.VBox()
        self.confirm_button = w.Button(description="确认并继续", icon="check",
                                       button_style="success")
        self.confirm_button.on_click(lambda _b: self.confirm_decisions())
        self.confirm_button.layout.display = "none"
        return w.VBox([
            w.HTML("<h3>选择数据</h3><p>打开服务器上的数据文件夹，或上传评委评分表（每位评委一张表、"
                   "一个文件都可以）和问卷星导出文件。上传的文件原样保存，不会被修改。</p>"),
            w.HBox([self.folder_list, self.open_button]),
            w.HTML("<h4>上传文件</h4>"),
            w.HBox([self.upload, self.import_name, self.import_button]),
            self.data_msg, self.import_out, self.decisions_box, self.confirm_button,
        ])

    def wait_for_visit(self) -> None:
        """In a kernel that Voila pre-heated (``make app`` keeps two ready: they ran the app's
        notebook before anyone opened the page), wait until a visit takes the kernel
        (:func:`wait_for_page`), then read again what may have changed on disk since the app was
        built: the folder list, and an open folder whose files changed. Anywhere else
        (JupyterLab, a kernel started for its visit) it returns at once; so does a second call.

        Nothing more is imported ahead: importing publishing's modules here (WeasyPrint,
        python-docx …) saved ≈ 0.8 s CPU of a first 发布榜单 that took ≈ 13 s, but doubled the
        waiting kernel's memory (110 → 210 MB).
        """
        if os.environ.get("VOILA_PREHEAT") != "True" or self._visited:
            return
        self._visited = True
        wait_for_page()
        self.refresh()

    def refresh(self) -> None:
        """Re-list the data folders (keeping the one chosen) and read the open folder again if
        its files changed since it was read."""
        self.refresh_folders(select=self.folder_list.value)
        if self.folder is not None and self._read_stamp != folder_stamp(self.folder):
            self.open_folder(self.folder)

    def folder_label(self, folder: Path) -> str:
        """A data folder as the folder list names it (``data/sample``: its data root's name and
        the path below it), not the server's absolute path; a folder outside the roots by its
        name."""
        for root in self.roots:
            try:
                rel = folder.resolve().relative_to(root.resolve())
            except ValueError:
                continue
            return f"{root.name}/{rel.as_posix()}"
        return folder.name

    def refresh_folders(self, select: Path | None = None) -> None:
        """Re-list the dataset folders under the roots (after an import, with it selected)."""
        folders = data_folders(self.roots)
        self.folder_list.options = folders
        if select is not None and any(p == select for _, p in folders):
            self.folder_list.value = select
        elif folders and self.folder_list.value is None:
            self.folder_list.value = folders[0][1]

    def open_folder(self, folder: str | Path | None) -> bool:
        """Read and check a dataset folder, evaluate it with its rubric and build the explorer;
        go to 检查. Returns whether a leaderboard could be made."""
        from evaltools.dataset import read_dataset
        from evaltools.leaderboard import evaluate

        if folder is None:
            self.data_msg.value = error_html(EvalToolsError("请先选择一个数据文件夹",
                                                            "choose a folder first"))
            return False
        folder = Path(folder)
        ok = False
        with busy(self.open_button, self.data_msg, f"正在读取并检查 {folder.name} …"):
            self.folder = folder
            self._read_stamp = folder_stamp(folder)
            self.dataset = read_dataset(folder, lenient=True)
            self.show_report(self.dataset.report)
            self.current.value = (f"<p>当前数据：<b>{html.escape(folder.name)}</b> "
                                  f"<small style='color:#666;word-break:break-all'>"
                                  f"{html.escape(self.folder_label(folder))}</small></p>")
            self.data_msg.value = f"<span class='evaltools-ok'>已打开 {html.escape(folder.name)}</span>"
            self.explorer = None
            if self.dataset.rubric is None:
                raise EvalToolsError("这个文件夹没有评分细则（rubric.toml）",
                                     "the folder has no rubric.toml")
            if not self.dataset.report.ok:
                self.board_msg.value = error_html(EvalToolsError(
                    "数据有问题，请先按“检查”页改正文件", "the data has problems: see 检查"))
                self._go(1)
                return False
            board = evaluate(self.dataset)
            self.saved = board.rubric
            self._make_explorer(board)
            ok = True
            self._go(1)
        return ok

    def import_uploads(self) -> Path | None:
        """Save the uploaded files, run ``init_dataset`` into a new folder under the upload
        root, show what it found and the decisions to take."""
        from evaltools.importer import init_dataset

        files = list(self.upload.value)
        if not files:
            self.data_msg.value = error_html(EvalToolsError(
                "请先点“选择文件”选好评分表和问卷星导出文件", "choose the files first"))
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = re.sub(r"[\\/:*?\"<>|]+", "", self.import_name.value.strip()) or f"导入_{stamp}"
        out = self.upload_root / name
        result = None
        with busy(self.import_button, self.data_msg, f"正在导入 {len(files)} 个文件 …"):
            if out.exists():
                raise EvalToolsError(f"文件夹“{name}”已经存在，没有覆盖：请换一个名称",
                                     f"the folder '{name}' exists; choose another name")
            raw = Path(tempfile.mkdtemp(prefix="evaltools-upload-"))
            try:
                paths = []
                for f in files:  # a loop over uploaded files
                    p = raw / Path(f["name"]).name
                    p.write_bytes(bytes(f["content"]))
                    paths.append(p)
                self.upload_root.mkdir(parents=True, exist_ok=True)
                result = init_dataset(list[str | Path](paths), out)
            finally:
                shutil.rmtree(raw, ignore_errors=True)
            self.init_result = result
            self.folder = out
            self._show_findings(result)
            self.data_msg.value = (f"<span class='evaltools-ok'>已导入到 "
                                   f"{html.escape(self.folder_label(out))}。"
                                   "请确认下面的选项，再点“确认并继续”。</span>")
        return out if result is not None else None

    def _show_findings(self, result: Any) -> None:
        files = pl.DataFrame(
            [{"文件": f.source.name, "内容": TABLE_KINDS.get(f.kind, f.kind or "未读取"),
              "说明": f.reason_zh or "原样复制"} for f in result.files],
            schema={"文件": pl.String, "内容": pl.String, "说明": pl.String})
        sheets = pl.DataFrame(
            [{"文件": s.file, "工作表": s.sheet or "—", "读取": "是" if s.read else "跳过",
              "行数": s.rows if s.read else None, "评委": s.judge or "—",
              "说明": "" if s.read else s.reason_zh} for s in result.sheets],
            schema={"文件": pl.String, "工作表": pl.String, "读取": pl.String, "行数": pl.Int64,
                    "评委": pl.String, "说明": pl.String})
        crit = pl.DataFrame(
            [{"指标": c.name, "满分": c.maximum, "表头": c.header} for c in result.criteria],
            schema={"指标": pl.String, "满分": pl.Float64, "表头": pl.String})
        items: list[Any] = [
            show(files, caption="原始文件", table_id="import-files"),
            show(sheets, caption="工作表", table_id="import-sheets"),
            show(crit, caption=f"指标（评委 {len(result.judges)} 位）", digits=0,
                 table_id="import-criteria"),
        ]
        if result.report.problems:
            items.append(show(report_frame(result.report), caption="原始文件中的问题",
                              table_id="import-problems"))
        _out(self.import_out, *items)
        self.survey = None
        wjx = [f.copied_to for f in result.files if f.kind == "wjx"]
        notes = []
        if wjx:
            try:
                self.survey = self._draft_survey(wjx[0])
                notes.append(f"问卷星导出：楼栋题“{self.survey.unit_question}”，满意度题 "
                             + "、".join(f"“{q}”" for q in self.survey.items))
            except EvalToolsError as exc:
                notes.append("问卷星导出无法自动对应：" + "；".join(
                    p.message_zh() for p in exc.problems))
        self.decision_inputs = {}
        rows: list[w.Widget] = [w.HTML("<h4>需要您确认的选项</h4><p>已填入建议值，可直接确认。"
                                       "</p>" + "".join(f"<p>{html.escape(n)}</p>"
                                                        for n in notes))]
        style = {"description_width": "initial"}
        for d in result.decisions:  # a loop over decisions
            if len(d.options) > 1:
                control: w.Widget = w.Dropdown(
                    options=[(RULE_ZH.get(o, o), o) for o in d.options], value=d.default,
                    description=d.question_zh, style=style,
                    layout=w.Layout(width="40em", max_width="100%"))
            else:
                control = w.Text(value=d.default, description=d.question_zh, style=style,
                                 layout=w.Layout(width="40em", max_width="100%"))
            self.decision_inputs[d.key] = control
            rows.append(control)
        self.decisions_box.children = tuple(rows)
        self.confirm_button.layout.display = None

    def _draft_survey(self, wjx: Path) -> Any:
        from evaltools.decisions import draft_folder_survey

        units_file = self.folder / "units.csv" if self.folder else None
        units_path = next((f.copied_to for f in self.init_result.files if f.kind == "units"),
                          units_file)
        return draft_folder_survey(wjx, units_path)  # as evaltools init drafts it

    def answers(self) -> dict[str, str]:
        """The decisions form's answers (decision key → chosen value)."""
        return {k: str(c.value) for k, c in self.decision_inputs.items()}

    def confirm_decisions(self) -> bool:
        """Write the answers into the draft rubric and open the folder."""
        from evaltools.decisions import apply_decisions

        if self.folder is None:
            return False
        with busy(self.confirm_button, self.data_msg, "正在写入评分细则 …"):
            apply_decisions(self.folder, self.answers(), survey=self.survey)
        self.refresh_folders(select=self.folder)
        return self.open_folder(self.folder)

    # ---- 2 检查 -------------------------------------------------------------------------------
    def _page_check(self) -> w.Widget:
        self.check_out = w.Output()
        return w.VBox([w.HTML("<h3>检查</h3><p>逐个文件、逐行检查。行号是 Excel 里看到的行号。</p>"),
                       self.check_out])

    def show_report(self, report: ValidationReport) -> None:
        """Fill the 检查 page: verdict, problems (grouped) and row counts."""
        verdict = ("<p class='evaltools-ok'><b>✔ 没有发现问题</b>，可以进入“评分细则”和“榜单”。</p>"
                   if report.ok else f"<p class='evaltools-error'><b>✘ 发现 "
                   f"{len(report.grouped())} 类问题</b>：请按下表改正原始文件后重新打开。</p>")
        items: list[Any] = [verdict]
        if report.problems:
            items.append(show(report_frame(report), caption="问题", table_id="check-problems"))
        if report.counts:
            items.append(show(counts_frame(report), caption="各文件的行数",
                              table_id="check-counts"))
        if report.notes:
            items.append("<ul>" + "".join(f"<li>{html.escape(n.split('|')[0].strip())}</li>"
                                          for n in report.notes) + "</ul>")
        _out(self.check_out, *items)

    # ---- 3 评分细则 ---------------------------------------------------------------------------
    def _page_rubric(self) -> w.Widget:
        self.rubric_controls = w.VBox()
        self.grades_text = w.Text(description="等级", placeholder="优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60",
                                  style={"description_width": "6em"},
                                  layout=w.Layout(width="40em", max_width="100%"))
        self.stars_text = w.Textarea(description="星级", placeholder="卫生星：环境卫生 ≥ 90%",
                                     style={"description_width": "6em"},
                                     layout=w.Layout(width="40em", max_width="100%",
                                                     height="7em"))
        self.apply_rules_button = w.Button(description="应用等级和星级", icon="refresh")
        self.apply_rules_button.on_click(lambda _b: self.apply_rules())
        self.save_button = w.Button(description="保存评分细则", icon="save", button_style="primary")
        self.save_button.on_click(lambda _b: self.save_rubric())
        self.rubric_msg = w.HTML()
        self.weights_out = w.Output()
        return w.VBox([
            w.HTML("<h3>评分细则</h3><p>计分方法、评委汇总和并列规则在这里选，权重在“榜单”页用滑块调。"
                   "保存后写入本文件夹的 rubric.toml（权重取整，原有注释保留）；未保存的调整只能"
                   "发布为草稿。</p>"),
            self.rubric_controls, self.grades_text, self.stars_text,
            w.HBox([self.apply_rules_button, self.save_button],
                   layout=w.Layout(flex_flow="row wrap")),
            self.rubric_msg, self.weights_out,
        ])

    def _make_explorer(self, board: Any, weights: dict[str, float] | None = None) -> None:
        self.explorer = WeightExplorer(board, top=self.top, charts=self.charts, buttons=False)
        if weights is not None:
            self.explorer.recompute(weights)
            self.explorer.update()
        self.explorer.on_change(lambda _b: self._after_change())
        ex = self.explorer
        self.rubric_controls.children = (ex.method, ex.normalization, ex.aggregate, ex.ties)
        self.grades_text.value = format_grades(board.rubric.grades)
        self.stars_text.value = format_stars(board.rubric)
        self.board_box.children = (ex.widget,)
        self.board_msg.value = ""
        self._after_change()

    def _after_change(self) -> None:
        if self.explorer is None or self.saved is None:
            return
        current = self.explorer.rubric
        official = is_official(self.saved, current)
        saved_w, now_w = rubric_weights(self.saved), rubric_weights(current)
        names = {c.id: c.name for c in self.saved.criteria}
        frame = pl.DataFrame({"指标": [names[k] for k in saved_w],
                              "细则权重（%）": [saved_w[k] for k in saved_w],
                              "当前权重（%）": [now_w.get(k) for k in saved_w]})
        state = ("<p class='evaltools-ok'>当前设置与已保存的评分细则一致：发布为正式公示。</p>"
                 if official else "<p class='evaltools-busy'>当前设置与已保存的评分细则不同："
                 "发布时标为<b>草稿</b>；要正式公示，请先在“评分细则”页保存。</p>")
        _out(self.weights_out, state, show(frame, digits=1, table_id="rubric-weights"))
        self.publish_state.value = state

    def current_rubric(self) -> Rubric:
        """The explorer's rubric with the grade and star fields applied."""
        if self.explorer is None:
            from evaltools.errors import UsageError
            raise UsageError("请先打开数据", "open a dataset first")
        r = self.explorer.rubric
        return dataclasses.replace(r, grades=parse_grade_text(self.grades_text.value),
                                   stars=parse_stars(self.stars_text.value, r))

    def apply_rules(self) -> None:
        """Re-evaluate with the grade bands and stars typed (weights and options kept)."""
        from evaltools.leaderboard import evaluate

        with busy(self.apply_rules_button, self.rubric_msg, "正在按新的等级和星级重新计算 …"):
            r = self.current_rubric()  # raises when nothing is open
            explorer = self.explorer
            assert explorer is not None
            base = dataclasses.replace(explorer.config_rubric(), grades=r.grades, stars=r.stars)
            weights = dict(explorer.weights)
            board = evaluate(self.dataset, base)
            self._make_explorer(board, weights)
            self.rubric_msg.value = "<span class='evaltools-ok'>已应用（尚未保存）</span>"

    def save_rubric(self) -> Path | None:
        """Save the current settings (round weights) into the folder's rubric.toml, keeping its
        comments; then the board is evaluated from the saved file (what is published is then
        the 公示)."""
        from evaltools.dataset import read_dataset
        from evaltools.leaderboard import evaluate
        from evaltools.rubric import update_rubric_file

        path = None
        with busy(self.save_button, self.rubric_msg, "正在保存评分细则 …"):
            if self.folder is None:
                raise UsageError("请先打开数据", "open a dataset first")
            rubric = rounded_rubric(self.current_rubric())
            path = update_rubric_file(rubric, self.folder / "rubric.toml")
            self.dataset = read_dataset(self.folder, lenient=True)
            board = evaluate(self.dataset)
            self.saved = board.rubric
            self._make_explorer(board)
            self.rubric_msg.value = (f"<span class='evaltools-ok'>已保存：{html.escape(str(path))}"
                                     "（权重已取整）</span>")
        return path

    # ---- 4 榜单 -------------------------------------------------------------------------------
    def _page_board(self) -> w.Widget:
        self.board_msg = w.HTML("<p>请先在“选择数据”中打开数据。</p>")
        self.board_box = w.VBox()
        return w.VBox([self.board_msg, self.board_box])

    # ---- 5 稳健性 -----------------------------------------------------------------------------
    def _page_robust(self) -> w.Widget:
        self.replicates = w.Dropdown(options=[("200 次（快）", 200), ("500 次", 500),
                                              ("1000 次（慢）", 1000)], value=200,
                                     description="重抽次数", style={"description_width": "6em"})
        self.robust_button = w.Button(description="计算名次区间", icon="calculator",
                                      button_style="primary")
        self.robust_button.on_click(lambda _b: self.robustness())
        self.robust_msg = w.HTML()
        self.robust_out = w.Output()
        return w.VBox([
            w.HTML("<h3>稳健性</h3><p>在每个楼栋内部重抽评委和点评卡，重算整个评比，看每个名次有多稳："
                   "名次区间越窄越可靠。随机种子固定，结果可重复。</p>"),
            w.HBox([self.replicates, self.robust_button], layout=w.Layout(flex_flow="row wrap")),
            self.robust_msg, self.robust_out])

    def robustness(self) -> Any:
        """Bootstrap rank intervals of the current leaderboard, as a table."""
        from evaltools.charts.robustness import rank_interval_data
        from evaltools.robustness import rank_intervals

        result = None
        with busy(self.robust_button, self.robust_msg,
                  f"正在重抽 {self.replicates.value} 次并重算名次（约需数秒）…"):
            if self.explorer is None:
                raise UsageError("请先打开数据", "open a dataset first")
            result = rank_intervals(self.explorer.board, replicates=self.replicates.value,
                                    seed=2020, progress=False)
            _out(self.robust_out, show(rank_interval_data(result, top=self.top),
                                       caption="名次及其 95% 区间（" +
                                       WeightExplorer.method_text(self.explorer.rubric) + "）",
                                       table_id="robust-intervals"))
            self.robust_msg.value = "<span class='evaltools-ok'>已完成</span>"
        return result

    # ---- 6 发布 -------------------------------------------------------------------------------
    def _page_publish(self) -> w.Widget:
        self.publish_state = w.HTML()
        self.publish_button = w.Button(description="发布榜单", icon="upload",
                                       button_style="primary")
        self.publish_button.on_click(lambda _b: self.publish())
        self.publish_msg = w.HTML()
        self.downloads = w.HTML()       # the first step's files, at once
        self.downloads_late = w.HTML()  # PDF, Word and SHA256SUMS, when the second step is done
        return w.VBox([
            w.HTML("<h3>发布</h3><p>生成公示页（HTML，可离线打开、A4 打印）、Excel、CSV、排名图和海报，"
                   "随后（约 5–10 秒）生成 PDF 公示（A4）和 Word 公示；文件同时保存在本数据文件夹的"
                   "“发布”文件夹里，下面的链接直接下载。</p>"),
            self.publish_state, self.publish_button, self.publish_msg, self.downloads,
            self.downloads_late])

    def publish(self) -> dict[str, Path]:
        """Publish the current leaderboard (草稿 unless it matches the saved rubric) and offer
        its files as downloads: :data:`FAST_FORMATS` at once; the PDF and the Word notice from
        a separate process (:meth:`wait_published` waits for it), whose links are added when
        it is done. While it runs, 发布榜单 is disabled."""
        files: dict[str, Path] = {}
        if self.publishing():
            self.publish_msg.value = ("<span class='evaltools-busy'>⏳ 上一次发布的 PDF 和 Word "
                                      "公示还在生成，完成后才能再次发布</span>")
            return files
        with busy(self.publish_button, self.publish_msg, "正在生成公示页、Excel、图和海报 …"):
            if self.explorer is None or self.folder is None or self.saved is None:
                raise UsageError("请先打开数据", "open a dataset first")
            rubric = self.current_rubric()
            draft = not is_official(self.saved, rubric)
            # the 公示 is the board of the saved rubric itself (as `evaltools publish` makes it);
            # a draft is what the explorer shows
            board = self.explorer.default if not draft else self.explorer.board
            if (rubric.grades, rubric.stars) != (board.rubric.grades, board.rubric.stars):
                raise EvalToolsError("等级或星级改过但还没有应用：请先在“评分细则”页点“应用等级和星级”",
                                     "apply the grade and star fields first")
            from evaltools.publish import generated_at

            when = generated_at()  # one time for both steps: the shared files are identical
            files = publish_files(board, self.folder, draft=draft, formats=FAST_FORMATS,
                                  generated=when)
            self.published = files
            folder = next(iter(files.values())).parent
            kind = "草稿（非正式公示）" if draft else "正式公示"
            links = self._links({k: p for k, p in files.items() if k != "manifest"}, folder)
            # where, as the user knows it: the data folder's name and 发布/<name>, not the
            # server's absolute path (/root/…), which means nothing in a browser
            where = f"数据文件夹“{Path(self.folder).name}”里的 发布/{folder.name}"
            self.downloads.value = (f"<p>已发布为<b>{kind}</b>，保存在{html.escape(where)}"
                                    f"。点击下载：</p><div>{links}</div>")
            self.downloads_late.value = ""
            self.publish_msg.value = (
                f"<span class='evaltools-ok'>已发布（{kind}）</span> <span class='evaltools-busy'>"
                "⏳ PDF 和 Word 公示正在生成，约需 5–10 秒，完成后链接会出现在下面</span>")
            self._start_rest(board, folder, when, files)
        if self.publishing():
            self.publish_button.disabled = True
            self.publish_button.icon = "spinner"
        return files

    def _links(self, files: dict[str, Path], folder: Path) -> str:
        return "".join(download_link(p, name=f"{folder.name}_{p.name}",
                                     label=f"{KIND_LABELS.get(k, k)}：{p.name}")
                       for k, p in files.items())

    def publishing(self) -> bool:
        """True while the PDF and the Word notice of the last 发布榜单 are being made."""
        return self._rest is not None and not self._rest_shown.is_set()

    def wait_published(self, timeout: float | None = None) -> bool:
        """Wait until the second step of the last 发布榜单 is done and shown (True), or
        ``timeout`` seconds have passed (False)."""
        return self._rest_shown.wait(timeout)

    def _start_rest(self, board: Any, folder: Path, when: datetime,
                    fast: dict[str, Path]) -> None:
        """Submit :func:`publish_rest` to a fresh executor; its result is shown on the kernel's
        event loop (the thread that owns the widgets) when there is one running."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        shown = self._rest_shown = threading.Event()
        job: Future
        try:
            executor = self.executor()
            try:
                job = executor.submit(publish_rest, board, folder, when)
            finally:
                executor.shutdown(wait=False)  # the job runs on; the worker exits after it
        except Exception as exc:  # no process could be started: shown as the job's failure
            job = Future()
            job.set_exception(exc)
        self._rest = job
        fast_bytes = {k: p.read_bytes() for k, p in fast.items() if k != "manifest"}

        def done(f: Future) -> None:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._rest_done, f, folder, fast_bytes, shown)
            else:
                self._rest_done(f, folder, fast_bytes, shown)

        job.add_done_callback(done)

    def _rest_done(self, job: Future, folder: Path, fast_bytes: dict[str, bytes],
                   shown: threading.Event) -> None:
        try:
            try:
                result = job.result()
            except Exception as exc:  # the worker died, or pickling
                result = {"files": {}, "notes": [], "error": (
                    f"后台进程出错（{type(exc).__name__}）", f"{type(exc).__name__}: {exc}")}
            files = {k: Path(p) for k, p in result["files"].items()}
            changed = [files[k].name for k, data in fast_bytes.items()
                       if k in files and files[k].read_bytes() != data]
            self._show_rest(files, folder, result, set(fast_bytes), changed)
        finally:
            self.publish_button.disabled = False
            self.publish_button.icon = "upload"
            shown.set()

    def _show_rest(self, files: dict[str, Path], folder: Path, result: dict[str, Any],
                   fast: set[str], changed: list[str]) -> None:
        notes = "".join(f"<br><small>{html.escape(n)}</small>" for n in result["notes"])
        if result["error"] is not None:
            zh, en = result["error"][0].rstrip("。"), result["error"][1].rstrip(".")
            self.publish_msg.value = (
                "<div class='evaltools-error'><b>⚠ PDF 和 Word 公示未能生成：" + html.escape(zh)
                + "</b>。上面的公示页、Excel、图和海报已发布，不受影响。<br><small>PDF and Word "
                "notice not written: " + html.escape(en) + ". The files above are published "
                "and unaffected.</small></div>")
            return
        if changed:  # never expected: the downloads above would not be what was published
            self.publish_msg.value = (
                "<div class='evaltools-error'><b>⚠ 已全部发布，但这些文件与上面的下载不一致，请用下面"
                "的链接重新下载：" + html.escape("、".join(changed)) + "</b><br><small>Published, "
                "but these files differ from the downloads above; download them again below: "
                + html.escape(", ".join(changed)) + "</small></div>")
        elif "pdf" not in files:
            self.publish_msg.value = (
                "<div class='evaltools-error'><b>⚠ 没有生成 PDF：本机缺少 PDF 渲染器（WeasyPrint 和 "
                "pango）；其余文件（含 Word 公示）已发布。</b><br><small>No PDF: this machine has "
                "no PDF renderer (WeasyPrint and pango); everything else, the Word notice too, is "
                "published." + notes + "</small></div>")
        else:
            self.publish_msg.value = (
                "<span class='evaltools-ok'>已全部发布：PDF 和 Word 公示已生成，SHA256SUMS 列出全部 "
                f"{len(files) - 1} 个文件</span>" + notes)
        self.published = files
        late = {k: p for k, p in files.items() if changed or k not in fast}
        self.downloads_late.value = (
            "<p>PDF 和 Word 公示，以及全部文件的校验值（SHA256SUMS）：</p><div>"
            + self._links(late, folder) + "</div>")


def evaluation_app(roots: Sequence[str | Path] | None = None, *,
                   upload_root: str | Path | None = None, data: str | Path | None = None,
                   top: int = 10, charts: bool = True) -> EvalApp:
    """The app (:class:`EvalApp`).

    ``roots`` are the folders whose dataset folders are offered; default: the repository's
    ``data/`` and the user's workspace. ``upload_root`` is where uploads are imported (created
    when missing); default the workspace: ``$EVALTOOLS_WORKSPACE``, else ``工作区/`` beside
    ``data/``. ``data`` is a folder to open at once."""
    import os

    here = Path.cwd()
    repo = here.parent if (here.parent / "data").is_dir() and not (here / "data").is_dir() \
        else here
    workspace = Path(os.environ.get("EVALTOOLS_WORKSPACE") or repo / "工作区")
    if upload_root is None:
        upload_root = workspace
    Path(upload_root).mkdir(parents=True, exist_ok=True)
    if roots is None:
        roots = [repo / "data", Path(upload_root)]
    return EvalApp(roots, upload_root=upload_root, data=data, top=top, charts=charts)
