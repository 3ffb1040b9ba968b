"""A dataset: a folder of tables (CSV, XLSX or Parquet) plus ``rubric.toml``, read and validated.

Files are recognised by their stem: the English table name (``units.csv``, ``scores.xlsx``,
``tickets.parquet`` …) or the Chinese table label (``参评单位.xlsx``, ``评委评分.csv`` …, see
:data:`evaltools.schema.TABLES`). A file whose name starts with ``wjx`` (``wjx.csv``,
``wjx_2024.xlsx``) is a 问卷星 export, mapped onto ``ratings`` with the rubric's ``[wjx]`` section.
After every file has been checked on its own, ids are checked across files: unit ids against
``units``, judge ids against ``judges`` (when present), votes against ``entries``.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "units.csv").write_text(
...     "单位编号,名称,街道,社区,楼院\\nB01,三湾街18号楼,济源路街道,三湾社区,三湾街18号院\\n")
>>> _ = (folder / "评委评分.csv").write_text(
...     "轮次,楼栋编号,评委,指标,得分\\n1,B01,J1,sanitation,9\\n1,B09,J1,sanitation,8\\n")
>>> ds = read_dataset(folder, lenient=True)
>>> ds.tables
('units', 'scores')
>>> print(ds.report.problems[0].message_en())
评委评分.csv, row 3, column '楼栋编号': value 'B09' unit id is not in the units table (units.csv). Fix: check the id or add the unit to units.
>>> ds.scores.height, ds.rejected["scores"]["_row"].to_list()
(1, [3])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import polars as pl

from evaltools.errors import RubricError, ValidationError, ValidationReport
from evaltools.io import (
    ReadState,
    file_sha256,
    finish_read,
    read_state,
    read_text,
    resolve_units,
    wjx_state,
)
from evaltools.rubric import Rubric
from evaltools.schema import TABLES
from evaltools.validate import DTYPES, UNIT_TABLES, Where, check_cross, file_problem
from evaltools.workbook import COPY_SUFFIX, read_score_workbooks, sniff_table

__all__ = ["Dataset", "find_tables", "read_dataset"]

SUFFIXES = (".csv", ".xlsx", ".parquet")
#: Files a dataset folder may hold besides its tables (not listed as ignored).
KNOWN_FILES = ("rubric.toml",)
_ORDER = tuple(TABLES)


@dataclass(frozen=True, repr=False)  # its own __repr__ and __eq__
class Dataset:
    """Validated tables of one competition; tables the folder does not hold are None.

    ``report`` lists every problem and the row counts per file; ``rejected`` maps a table name to
    its rejected rows (original cells, ``_row``, ``_reason``) when read leniently.
    """

    units: pl.DataFrame | None = None
    judges: pl.DataFrame | None = None
    scores: pl.DataFrame | None = None
    deductions: pl.DataFrame | None = None
    ratings: pl.DataFrame | None = None
    tickets: pl.DataFrame | None = None
    entries: pl.DataFrame | None = None
    votes: pl.DataFrame | None = None
    corrections: pl.DataFrame | None = None
    rubric: Rubric | None = None
    path: Path | None = None
    report: ValidationReport = field(default_factory=ValidationReport)
    rejected: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: where the tables came from, for the audit: ``raw_files`` (file name -> SHA-256 of the
    #: file as the user gave it), ``steps`` (import steps applied, Chinese | English),
    #: ``round_given`` (False when no file gave a round: every score is round 1 and titles use
    #: the rubric's ``period``), ``judges_private`` (True: published outputs show 评委1…评委N,
    #: the mapping stays in the user's folder; ``[publish] judge_names = true`` keeps names).
    provenance: dict = field(default_factory=dict)

    @property
    def tables(self) -> tuple[str, ...]:
        """Names of the tables present, in canonical order."""
        return tuple(t for t in _ORDER if getattr(self, t) is not None)

    def __repr__(self) -> str:
        parts = [f"{t}={getattr(self, t).height} rows" for t in self.tables]
        rub = f", rubric={self.rubric.name!r}" if self.rubric else ""
        return (f"Dataset({self.path}: {', '.join(parts)}{rub}, "
                f"{len(self.report.problems)} problem(s))")

    def __eq__(self, other: object) -> bool:  # frames do not compare with ==
        if not isinstance(other, Dataset):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, pl.DataFrame) or isinstance(b, pl.DataFrame):
                if a is None or b is None or not a.equals(b):
                    return False
            elif f.name != "rejected" and a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # typeshed's object.__hash__ is no Optional


def table_of_file(path: Path) -> str | None:
    """The table a file's name says it holds; a browser's copy suffix is ignored
    (``评委评分(1).xlsx`` is ``scores``)."""
    stem = re.sub(COPY_SUFFIX, "", path.stem.strip().lower())
    for name, spec in TABLES.items():
        if stem == name or stem == spec.label:
            return name
    if stem.startswith("wjx") or stem.startswith("问卷星"):
        return "wjx"
    return None


def find_tables(folder: str | Path) -> dict[str, list[Path]]:
    """The data files of a dataset folder, by table (``wjx`` for 问卷星 exports).

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for n in ("units.csv", "评委评分.xlsx", "wjx_2024.csv", "notes.txt"):
    ...     _ = (d / n).write_text("")
    >>> {k: [p.name for p in v] for k, v in find_tables(d).items()}
    {'units': ['units.csv'], 'scores': ['评委评分.xlsx'], 'wjx': ['wjx_2024.csv']}
    """
    found: dict[str, list[Path]] = {}
    files = sorted(p for p in Path(folder).iterdir()
                   if p.is_file() and p.suffix.lower() in SUFFIXES
                   and not p.name.startswith((".", "~$")))
    for p in files:
        table = table_of_file(p)
        if table is not None:
            found.setdefault(table, []).append(p)
    order = [*_ORDER, "wjx"]
    return {t: found[t] for t in order if t in found}


def load_rubric(rubric: Rubric | str | Path | None, folder: Path) -> Rubric | None:
    if isinstance(rubric, Rubric):
        return rubric
    path = Path(rubric) if rubric is not None else folder / "rubric.toml"
    if rubric is None and not path.is_file():
        return None
    from evaltools.rubric import read_rubric  # lands with the rubric loader

    return read_rubric(path)


def read_dataset(path: str | Path, *, rubric: Rubric | str | Path | None = None,
                 lenient: bool = False) -> Dataset:
    """Read and validate every table in a dataset folder.

    Parameters
    ----------
    path : the folder (holding ``units.csv``, ``scores.xlsx`` … and usually ``rubric.toml``).
    rubric : a :class:`~evaltools.rubric.Rubric` or the path of a ``rubric.toml``; default: the
        folder's ``rubric.toml`` when present.
    lenient : keep good rows and set the others aside (``Dataset.rejected``) instead of raising.

    Raises
    ------
    ValidationError
        In strict mode, when any file has a problem; ``.report`` lists them all.
    RubricError
        When the rubric is invalid (strict mode; in lenient mode its problems join the report
        and the tables are read without it).
    """
    folder = Path(path)
    where = Where(folder.name, "units")
    if not folder.is_dir():
        rule = "file_not_found"
        report = ValidationReport((file_problem(where, rule, value=str(folder)),))
        raise ValidationError(report)
    rubric_problems: tuple = ()
    try:
        rub = load_rubric(rubric, folder)
    except RubricError as exc:
        if not lenient:
            raise
        rub, rubric_problems = None, exc.problems
    found = find_tables(folder)
    notes = _classify_others(folder, found)
    score_paths = found.pop("scores", [])
    extra = []
    states: list[ReadState] = []
    surveys: set[int] = set()  # 问卷星 exports among the states
    for table, paths in found.items():
        if table == "wjx":
            for p in paths:
                if rub is None or rub.wjx is None:
                    extra.append(file_problem(
                        Where(p.name, "ratings"), "unknown_question",
                        zh="；评分细则没有 [wjx] 部分，无法对应题目",
                        en="; the rubric has no [wjx] section to map the questions",
                        fix_zh="请在 rubric.toml 中添加 [wjx]", fix_en="add [wjx] to rubric.toml"))
                    continue
                states.append(wjx_state(p, rub.wjx, sheet=None, rubric=rub))
                surveys.add(id(states[-1]))
            continue
        if len(paths) > 1:
            extra.append(file_problem(Where(paths[1].name, table), "ambiguous_table",
                                      value=", ".join(p.name for p in paths),
                                      zh=f"（只读取 {paths[0].name}）",
                                      en=f" (only {paths[0].name} is read)"))
        states.append(read_state(paths[0], table, rubric=rub))
    if not found and not score_paths:
        extra.append(file_problem(where, "no_tables", value=folder.name))

    refs = {s.where.table: s for s in states
            if s.where.table in ("units", "judges", "entries") and not s.fatal}
    if "units" in refs:  # buildings given by name, or ids with invisible/full-width characters
        for s in states:
            if s.where.table in UNIT_TABLES:
                resolve_units(s, refs["units"].work, group_unmatched=id(s) in surveys)
    for s in states:
        if s.fatal or s.where.table in ("units", "judges"):
            continue
        works = {t: (r.work, r.where) for t, r in refs.items()}
        works[s.where.table] = (s.work, s.where)
        s.problems += [p for p in check_cross(works, only=s.where.table,
                                              units_known=s.units_known)
                       if p.file == s.where.file]

    frames: dict[str, list[pl.DataFrame]] = {}
    rejected: dict[str, list[pl.DataFrame]] = {}
    reports = [ValidationReport(tuple(rubric_problems) + tuple(extra))]
    for s in states:
        res = finish_read(s, lenient=True)
        frames.setdefault(s.where.table, []).append(res.data)
        if res.rejected.height:
            rejected.setdefault(s.where.table, []).append(res.rejected)
        reports.append(res.report)
    provenance: dict = {"raw_files": {p.name: file_sha256(p) for ps in found.values()
                                      for p in ps}, "steps": [], "round_given": True,
                        "judges_private": True}
    if score_paths:
        ref = {t: next(((frames[t][0], st.where.file) for st in states
                        if st.where.table == t and not st.fatal), (None, None))
               for t in ("units", "judges")}
        imp = read_score_workbooks(score_paths, rubric=rub, units=ref["units"][0],
                                   units_file=ref["units"][1], judges=ref["judges"][0],
                                   judges_file=ref["judges"][1])
        frames["scores"] = [imp.scores]
        if imp.rejected.height:
            rejected["scores"] = [imp.rejected]
        # the scores' report goes where the scores table comes in the canonical order
        at = 1 + sum(1 for st in states if _ORDER.index(st.where.table) < _ORDER.index("scores"))
        reports.insert(at, imp.report)
        provenance["raw_files"].update({p.name: file_sha256(p) for p in score_paths
                                        if p.is_file()})
        provenance["steps"] = _import_steps(imp)
        provenance["round_given"] = imp.round_given
        if "units" not in frames and imp.units is not None:
            cols = [pl.col(c.name).cast(DTYPES[c.kind]) if c.name in imp.units.columns
                    else pl.lit(None, dtype=DTYPES[c.kind]).alias(c.name)
                    for c in TABLES["units"].columns]
            frames["units"] = [imp.units.select(cols)]
            notes.append("没有参评单位表：参评单位取自评分表（编号与名称），街道、社区、楼院留空 | no "
                         "units table: the units come from the score sheets (id and name); "
                         "street, community and courtyard are left empty")
        if not imp.round_given and imp.scores.height:
            notes.append("评分表没有给出轮次：按一次性评比处理（标题使用评分细则的 period）| the "
                         "score sheets give no round: a one-off competition (titles use the "
                         "rubric's period)")
    notes += _open_decisions(folder, rubric)
    report = ValidationReport.merge(reports)
    report = ValidationReport(report.problems, report.counts, tuple(dict.fromkeys(
        [*notes, *report.notes])))
    if not lenient and not report.ok:
        raise ValidationError(report)
    tables = {t: pl.concat(fs, how="diagonal_relaxed") if len(fs) > 1 else fs[0]
              for t, fs in frames.items()}
    rej = {t: pl.concat(fs, how="diagonal_relaxed") if len(fs) > 1 else fs[0]
           for t, fs in rejected.items()}
    return Dataset(**tables, rubric=rub, path=folder, report=report, rejected=rej,
                   provenance=provenance)


def _classify_others(folder: Path, found: dict[str, list[Path]]) -> list[str]:
    """Files whose name is not a table name: read by what they hold (a judge's workbook
    ``张伟.xlsx``, a units list), or listed as ignored with the reason. Adds to ``found``."""
    named = {p for ps in found.values() for p in ps}
    notes = []
    for p in sorted(folder.iterdir()):
        if (p in named or not p.is_file() or p.name.startswith((".", "~$"))
                or p.name in KNOWN_FILES):
            continue
        if p.suffix.lower() == ".xls":
            found.setdefault("scores", []).append(p)  # read to report how to save as .xlsx
            continue
        table, zh, en = sniff_table(p)
        if table is None:
            notes.append(f"{p.name}：{zh}，未读取 | {p.name}: {en}; not read")
            continue
        if table in found and table != "scores":
            notes.append(f"{p.name}：看起来也是 {table} 表，但已有 {found[table][0].name}，未读取 | "
                         f"{p.name}: looks like another {table} table; {found[table][0].name} "
                         "is read, not this one")
            continue
        found.setdefault(table, []).append(p)
    if "scores" in found:
        found["scores"] = sorted(found["scores"])
    return notes


def _import_steps(imp) -> list[str]:
    """The import steps applied to each sheet, for the audit (Chinese | English)."""
    steps = []
    for sh in imp.sheets:
        at = f"{sh.file}（工作表 {sh.sheet}）" if sh.sheet else sh.file
        at_en = f"{sh.file} (sheet {sh.sheet})" if sh.sheet else sh.file
        if not sh.read:
            steps.append(f"{at}：未读取，{sh.reason_zh} | {at_en}: not read, {sh.reason_en}")
            continue
        zh = [f"表头在第{sh.header_row}行"]
        en = [f"header on row {sh.header_row}"]
        if sh.judge is not None:
            zh.append(f"评委“{sh.judge}”取自工作表名或文件名")
            en.append(f"judge '{sh.judge}' from the sheet or file name")
        if sh.round is not None:
            zh.append(f"轮次 {sh.round} 取自名称")
            en.append(f"round {sh.round} from the name")
        zh.append("宽表按指标展开为长表")
        en.append("wide columns unpivoted to one row per criterion")
        steps.append(f"{at}：{'，'.join(zh)} | {at_en}: {', '.join(en)}")
    return steps


def _open_decisions(folder: Path, rubric) -> list[str]:
    """Lines of the folder's rubric.toml still marked 待确认 (decisions left to a person)."""
    path = folder / "rubric.toml" if rubric is None or not isinstance(rubric, str | Path) \
        else Path(rubric)
    if not path.is_file():
        return []
    lines = [(i, line.strip()) for i, line in enumerate(read_text(path).splitlines(), start=1)
             if "待确认" in line]
    return [f"{path.name} 第{i}行待确认（默认值已生效，确认后删去“待确认”）：{text} | {path.name} "
            f"line {i}: decision open (the default applies; delete '待确认' once decided)"
            for i, text in lines]
