"""From the files a street office has to a dataset folder: ``evaltools init``.

:func:`init_dataset` looks at raw files (judges' workbooks, a units list, 问卷星 exports), decides
what each holds, copies them **untouched** (byte-identical) into a new dataset folder, writes a
``units.csv`` when the score sheets give the buildings' ids and names and no units list was given,
and a draft ``rubric.toml`` whose criteria and maxima come from the headers, every guess
commented (``# 从表头“环境卫生（30分）”读出满分 30``) and every decision only a person can take
marked ``待确认`` with a sensible default. ``evaltools validate DIR`` then passes and lists the
decisions still open (or lists the problems in the raw files).

The result is structured (:class:`InitResult`: files, sheets, criteria, decisions with their
options and defaults, problems) so that the app's import step can show it; the command prints
:meth:`InitResult.summary`.

Examples
--------
>>> import pathlib, tempfile, xlsxwriter
>>> raw = pathlib.Path(tempfile.mkdtemp()) / "2021年第三季度评分表.xlsx"
>>> wb = xlsxwriter.Workbook(raw)
>>> for judge in ["张伟", "王芳", "李娜"]:
...     ws = wb.add_worksheet(judge)
...     _ = ws.write_row(0, 0, ["楼栋编号", "楼栋名称", "环境卫生（60分）", "楼道整洁（40分）"])
...     _ = ws.write_row(1, 0, ["HQ001", "铝厂生活区13号楼", 50, 30])
...     _ = ws.write_row(2, 0, ["HQ002", "铝厂生活区14号楼", 55, 35])
>>> wb.close()
>>> out = pathlib.Path(tempfile.mkdtemp()) / "ds"
>>> res = init_dataset([raw], out)
>>> sorted(p.name for p in out.iterdir())
['2021年第三季度评分表.xlsx', 'rubric.toml', 'units.csv']
>>> [(c.name, c.maximum) for c in res.criteria]
[('环境卫生', 60.0), ('楼道整洁', 40.0)]
>>> [d.key for d in res.decisions]
['competition.name', 'judges.aggregate', 'grades']
>>> print([line for line in res.rubric_text.splitlines() if "60" in line][0])
max_points = 60  # 从表头“环境卫生（60分）”读出满分 60
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from evaltools.errors import Problem, UsageError, ValidationReport
from evaltools.io import file_sha256
from evaltools.workbook import (
    FoundCriterion,
    SheetStatus,
    period_from_title,
    read_score_workbooks,
    sniff_table,
)

__all__ = ["Decision", "InitResult", "RawFile", "init_dataset"]

#: English ids for the usual criteria (others get ``criterion_N``).
KNOWN_CRITERIA = {
    "环境卫生": "sanitation", "楼道整洁": "stairwell", "绿化美化": "greenery",
    "公共设施": "facilities", "安全管理": "safety", "自治组织": "self_org",
    "居民参与": "participation", "邻里关系": "neighbourhood", "文明创建": "civility",
}
DATA_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv", ".parquet")


@dataclass(frozen=True)
class RawFile:
    """One raw file: where it came from, where it was copied, what it holds (``scores``,
    ``units``, ``wjx`` or None with the reason), and its SHA-256 (identical before and after)."""

    source: Path
    copied_to: Path
    kind: str | None
    sha256: str
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class Decision:
    """A choice only a person can make, marked ``待确认`` in the draft rubric: its key, the
    question, the options and the default that applies until someone decides."""

    key: str
    question_zh: str
    question_en: str
    options: tuple[str, ...]
    default: str


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_dataset` did and found."""

    out: Path
    files: tuple[RawFile, ...]
    sheets: tuple[SheetStatus, ...]
    criteria: tuple[FoundCriterion, ...]
    judges: tuple[str, ...]
    units_written: int
    decisions: tuple[Decision, ...]
    report: ValidationReport
    rubric_text: str

    @property
    def ok(self) -> bool:
        return self.report.ok

    def summary(self) -> str:
        """What was found and what needs a decision, in Chinese and English."""
        kinds = {"scores": "评委评分", "units": "参评单位", "wjx": "问卷星导出"}
        lines = [f"数据文件夹 | dataset folder: {self.out}", "", "原始文件 | raw files:"]
        for f in self.files:
            what = (kinds.get(f.kind, f.kind) if f.kind else f"未读取：{f.reason_zh}")
            lines.append(f"  {f.source.name}: {what}（原样复制，SHA-256 {f.sha256[:12]}…）")
        lines.append("工作表 | sheets:")
        for s in self.sheets:
            at = f"{s.file} / {s.sheet}" if s.sheet else s.file
            if s.read:
                extra = f"，评委 {s.judge}" if s.judge else ""
                extra += f"，第{s.round}轮" if s.round else ""
                lines.append(f"  {at}: 读取 {s.rows} 行，表头在第{s.header_row}行{extra}")
            else:
                lines.append(f"  {at}: 跳过 — {s.reason_zh} | skipped — {s.reason_en}")
        lines.append("指标 | criteria: " + "、".join(
            f"{c.name}（满分 {c.maximum:g}）" if c.maximum is not None else f"{c.name}（满分未知）"
            for c in self.criteria))
        lines.append(f"评委 | judges: {len(self.judges)} 位")
        if self.units_written:
            lines.append(f"参评单位 | units: 从评分表写出 units.csv（{self.units_written} 个）")
        if self.decisions:
            lines += ["", "待确认 | decisions (rubric.toml 中已填默认值 | defaults filled in):"]
            for d in self.decisions:
                lines.append(f"  {d.key}: {d.question_zh} 可选 {' / '.join(d.options)}；"
                             f"默认 {d.default}")
        lines += ["", str(self.report), "",
                  f"下一步 | next: evaltools validate {self.out}"]
        return "\n".join(lines)


def _raw_paths(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        if p.is_dir():
            files += sorted(q for q in p.iterdir()
                            if q.is_file() and not q.name.startswith((".", "~$")))
        elif p.is_file():
            files.append(p)
        else:
            problems.append(Problem(p.name, None, None, str(p), "file_not_found",
                                    "找不到文件或文件夹", "file or folder not found",
                                    "请检查路径", "check the path"))
    return files, problems


def _copy_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while f"{stem} ({n}){suffix}" in taken:
        n += 1
    return f"{stem} ({n}){suffix}"


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shown(text: str) -> str:
    """Text for a one-line TOML comment (a header's line break shown as \\n)."""
    return str(text).replace("\r", "").replace("\n", "\\n")


def _nice_max(x: float) -> float:
    """A round maximum above an observed score (guess when the header gives none)."""
    for step in (5, 10, 20, 50, 100):
        if x <= step * 2 or step == 100:
            return float(math.ceil(x / step) * step) if x > 0 else 10.0
    return x  # pragma: no cover


def _draft_rubric(criteria: tuple[FoundCriterion, ...], scores: pl.DataFrame,
                  title: str | None, judges: int, has_wjx: bool
                  ) -> tuple[str, list[Decision]]:
    decisions: list[Decision] = []
    period = period_from_title(title)
    name = title or "楼栋评比"
    for word in ("评分表", "打分表", "评分汇总表", "评分汇总"):
        name = name.replace(word, "")
    name = name.strip() or "楼栋评比"
    lines = [
        "# 评分细则草稿：由 evaltools init 根据原始文件生成。格式见 docs/rubric.md。",
        "# 注释说明每个值从哪里读出；需要您决定的值已填入默认值并标出，确认后删去该标记。",
        "# Draft rubric written by evaltools init; comments say where each value comes from.",
        "",
        "[competition]",
        f"name = {_toml_str(name)}  # 待确认：评比名称（取自标题“{_shown(title or '无')}”）",
    ]
    decisions.append(Decision("competition.name", "评比名称是否正确？", "is the name right?",
                              (name,), name))
    if period:
        lines.append(f"period = {_toml_str(period)}  # 从标题“{_shown(title or '')}”读出评比期间")
    else:
        lines.append('# period = "2021年第三季度"  # 没有找到评比期间：一次性评比的标题会用到它')
    maxima = [c.maximum for c in criteria]
    entries = []
    for i, c in enumerate(criteria, start=1):
        cid = KNOWN_CRITERIA.get(c.name, f"criterion_{i}")
        if c.maximum is not None:
            mx, why = c.maximum, f"从表头“{_shown(c.header)}”读出满分 {c.maximum:g}"
        else:
            seen = scores.filter(pl.col("criterion") == c.name)["score"].max()
            mx = _nice_max(float(seen or 10))
            why = f"待确认：“{_shown(c.header)}”没有写满分，按最高得分 {seen:g} 估计为 {mx:g}"
            decisions.append(Decision(f"criteria.{cid}.max_points", f"{c.name} 的满分是多少？",
                                      f"maximum of {c.name}?", (f"{mx:g}",), f"{mx:g}"))
        entries.append((cid, c, mx, why))
    total = sum(mx for _, _, mx, _ in entries)
    lines += [
        'method = "points"  # 百分制：各指标得分相加',
        f"total_points = {total:g}  # 各指标满分之和" + (
            "" if all(m is not None for m in maxima) else "（含估计的满分）"),
        "",
        "[judges]",
    ]
    agg = "trimmed_mean" if judges >= 5 else "mean"
    why = ("去掉一个最高分和一个最低分后取平均" if agg == "trimmed_mean"
           else f"只有 {judges} 位评委，取平均")
    lines += [f'aggregate = "{agg}"  # 待确认：{why}；可选 mean / median / trimmed_mean / zscore',
              f"min_judges = {min(3, max(judges, 1))}  # 每个楼栋至少要有几位评委打分",
              "", "[ranking]", 'ties = "min"  # 并列：1、2、2、4（公示常用）',
              "", "[rounding]", 'digits = 2', 'mode = "half_up"  # 四舍五入', ""]
    decisions.append(Decision("judges.aggregate", "评委分数如何汇总？", "how are judges' scores "
                              "combined?", ("trimmed_mean", "mean", "median", "zscore"), agg))
    if has_wjx:
        lines += ["# 待确认：评委与群众满意度的占比（如 评委 80% + 满意度 20%）、满意率的口径",
                  "# （只算“满意”，还是“满意 + 基本满意”）：见 docs/rubric.md 的 [ratings] 与 [wjx]。",
                  ""]
        decisions.append(Decision("ratings.satisfied", "满意率算哪些等级？", "which labels count "
                                  "as satisfied?", ("满意", "满意+基本满意"), "满意+基本满意"))
        decisions.append(Decision("weights", "评委评分与群众满意度各占多少？", "share of judges "
                                  "vs residents?", ("评委 100%", "评委 80% + 满意度 20%"),
                                  "评委 100%"))
    for cid, c, mx, why in entries:
        lines += ["[[criteria]]", f"id = {_toml_str(cid)}", f"name = {_toml_str(c.name)}",
                  f"max_points = {mx:g}  # {why}", f"scale = [0, {mx:g}]", ""]
    lines += ["# 待确认：是否按总分分等级？默认不分。例如：",
              "# [[grades]]", '# name = "优秀"', "# min = 90", ""]
    decisions.append(Decision("grades", "是否按总分分等级（优秀/良好…）？", "grade bands?",
                              ("不分等级", "优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60"), "不分等级"))
    return "\n".join(lines), decisions


def init_dataset(paths: list[str | Path] | str | Path, out: str | Path, *,
                 overwrite: bool = False) -> InitResult:
    """Make a dataset folder from raw files: copies, ``units.csv``, a draft ``rubric.toml``.

    Parameters
    ----------
    paths : raw files and/or folders (their files are taken, not their subfolders).
    out : the new dataset folder; it must not exist or be empty.
    overwrite : write into a non-empty ``out`` anyway (existing files of the same name are
        replaced; the raw files themselves are never changed).

    Returns
    -------
    InitResult
        The files and what each holds, the sheets read or skipped, the criteria, the decisions
        (``待确认``) with their defaults, and the problems found in the raw files.

    Raises
    ------
    UsageError
        When ``out`` is not empty (without ``overwrite``) or no path exists.
    """
    paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise UsageError(Problem(
            str(out), None, None, str(out), "out_not_empty", "目标文件夹已存在且不是空的",
            "the output folder exists and is not empty",
            "请换一个新的文件夹，或加上 --force 覆盖", "choose a new folder, or pass --force"))
    files, problems = _raw_paths(paths)
    if not files:
        raise UsageError(problems or "没有找到原始文件", "no raw files found")
    out.mkdir(parents=True, exist_ok=True)
    raws: list[RawFile] = []
    taken: set[str] = set()
    for f in files:
        name = _copy_name(f.name, taken)
        taken.add(name)
        dest = out / name
        shutil.copyfile(f, dest)
        if f.suffix.lower() not in DATA_SUFFIXES:
            kind, zh, en = None, f"不是数据文件（扩展名 {f.suffix or '无'}）", "not a data file"
        elif f.suffix.lower() == ".xls":
            kind, zh, en = "scores", "", ""
        else:
            kind, zh, en = sniff_table(f)
        raws.append(RawFile(f, dest, kind, file_sha256(dest), zh, en))
    score_files = [r.copied_to for r in raws if r.kind == "scores"]
    units_given = any(r.kind == "units" for r in raws)
    units_file = next((r.copied_to for r in raws if r.kind == "units"), None)
    units = None
    if units_file is not None:  # buildings named by name are matched against it
        from evaltools.io import read_units

        got = read_units(units_file, lenient=True)
        units = got.data if got.data.height else None
    imp = read_score_workbooks(score_files, units=units,
                               units_file=units_file.name if units_file else None)
    units_written = 0
    if imp.units is not None and not units_given:
        units = imp.units.select(pl.col("unit_id").alias("单位编号"), pl.col("name").alias("名称"))
        units.write_csv(out / "units.csv", include_bom=True)
        units_written = units.height
    criteria = imp.criteria
    if not criteria and imp.scores.height:  # a long sheet: the criteria are the 指标 values
        first = imp.scores.unique("criterion", keep="first", maintain_order=True)
        criteria = tuple(FoundCriterion(c, None, c, f, s) for c, f, s in first.select(
            "criterion", "source_file", "source_sheet").iter_rows())
    text, decisions = _draft_rubric(criteria, imp.scores, imp.title, len(imp.judges),
                                    any(r.kind == "wjx" for r in raws))
    if criteria:
        (out / "rubric.toml").write_text(text, encoding="utf-8")
    else:  # nothing to draft from: the problems say why
        text, decisions = "", []
    report = ValidationReport(tuple(problems)) + imp.report
    return InitResult(out, tuple(raws), imp.sheets, criteria, imp.judges, units_written,
                      tuple(decisions), report, text)
