"""Answering the decisions of a draft rubric (``待确认``) without editing TOML by hand.

:func:`evaltools.importer.init_dataset` writes a draft ``rubric.toml`` whose choices only a person
can make are marked ``待确认`` with a default (:class:`evaltools.importer.Decision`). The app shows
them as a form; :func:`apply_decisions` writes the answers into the file with tomlkit, so the
comments, the order and everything not decided stay as they were, and the decided lines say
``已确认`` instead of ``待确认`` (``evaltools validate`` then no longer lists them).

When the folder holds a 问卷星 export, :func:`draft_survey` reads its questions and answers and
drafts the ``[wjx]`` section (which question names the building, which questions are
satisfaction items, answer → unit id) and the ``[ratings]`` labels; the answer to the decision
``weights`` (评委 80% + 满意度 20%) adds a satisfaction criterion and scales the judges' criteria
down so the total stays the same.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "rubric.toml").write_text('''[competition]
... name = "楼栋评比"  # 待确认：评比名称
... total_points = 100
... [judges]
... aggregate = "mean"  # 待确认：只有 3 位评委，取平均
... [[criteria]]
... id = "a"
... name = "甲"
... max_points = 60
... scale = [0, 60]
... [[criteria]]
... id = "b"
... name = "乙"
... max_points = 40  # 待确认：按最高得分估计
... scale = [0, 40]
... ''', encoding="utf-8")
>>> p = apply_decisions(d, {"competition.name": "2021年楼栋评比", "judges.aggregate": "median",
...                         "criteria.b.max_points": "40", "grades": "优秀 ≥ 90 / 合格 ≥ 60"})
>>> text = p.read_text(encoding="utf-8")
>>> "待确认" in text
False
>>> print(text.splitlines()[1])
name = "2021年楼栋评比"  # 已确认：评比名称
>>> from evaltools.rubric import read_rubric
>>> r = read_rubric(p)
>>> r.judge_aggregate, [(g.name, g.min) for g in r.grades]
('median', [('优秀', 90.0), ('合格', 60.0)])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from evaltools.errors import Problem, UsageError

__all__ = ["SurveyDraft", "apply_decisions", "draft_folder_survey", "draft_survey", "parse_grades",
           "parse_shares", "survey_section"]

#: 问卷星's metadata columns (not questions).
WJX_META = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "来自ip", "总分")
#: Answer scales recognised in an export, most specific first (label → value).
SCALES: tuple[dict[str, float], ...] = (
    {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0},
    {"非常满意": 5.0, "满意": 4.0, "一般": 3.0, "不满意": 2.0, "非常不满意": 1.0},
    {"很满意": 5.0, "满意": 4.0, "一般": 3.0, "不满意": 2.0, "很不满意": 1.0},
    {"非常满意": 4.0, "满意": 3.0, "不满意": 2.0, "非常不满意": 1.0},
)
_SKIPPED = ("-2", "-3", "(跳过)", "(空)")
_QNUM = re.compile(r"^\s*\d+\s*[、.．]\s*")


class SurveyDraft:
    """What :func:`draft_survey` found in a 问卷星 export: the question naming the building, the
    satisfaction items (header → item name), answer text → unit id, and the answer scale."""

    def __init__(self, unit_question: str, items: dict[str, str], unit_labels: dict[str, str],
                 labels: dict[str, float]) -> None:
        self.unit_question = unit_question
        self.items = items
        self.unit_labels = unit_labels
        self.labels = labels

    def __repr__(self) -> str:
        return (f"SurveyDraft(unit_question={self.unit_question!r}, items={self.items!r}, "
                f"labels={list(self.labels)!r})")


def _item_name(header: str) -> str:
    """``"2、您对楼道卫生是否满意"`` → ``"楼道卫生"``."""
    text = _QNUM.sub("", header).strip()
    text = re.sub(r"^(您|你)(对|觉得|认为)?", "", text)
    text = re.sub(r"(是否|的)?(满意|满意度|满意程度)[吗？?]*$", "", text)
    text = re.sub(r"(工作|情况)$", "", text) or text
    return text.strip() or _QNUM.sub("", header).strip()


def draft_survey(answers: pl.DataFrame, units: pl.DataFrame) -> SurveyDraft:
    """Draft the ``[wjx]`` mapping of a 问卷星 export from its answers (``io.read_survey_answers``).

    The building question is the one whose answers best match the units (by id or name,
    :func:`evaltools.unitnames.match_units`); satisfaction items are the questions whose answers
    (skips ``-2``/``-3`` left out) all lie on one known scale (4-level 满意…不满意, 5-level 非常满意…
    or 很满意…). Answers that name a building become ``unit_labels`` (answer → unit id).

    Examples
    --------
    >>> a = pl.DataFrame({"序号": ["1", "2"], "1、您居住的楼栋": ["铝厂13号楼", "HQ2"],
    ...                   "2、您对楼道卫生是否满意": ["满意", "-2"], "3、建议": ["无", "好"]})
    >>> u = pl.DataFrame({"unit_id": ["HQ1", "HQ2"], "name": ["铝厂13号楼", "铝厂14号楼"]})
    >>> draft_survey(a, u)
    SurveyDraft(unit_question='1、您居住的楼栋', items={'2、您对楼道卫生是否满意': '楼道卫生'}, labels=['满意', '基本满意', '不太满意', '不满意'])
    >>> draft_survey(a, u).unit_labels
    {'铝厂13号楼': 'HQ1'}
    """
    from evaltools.unitnames import match_units

    questions = [c for c in answers.columns if c.strip() not in WJX_META]
    best, best_share, best_labels, best_misses = None, 0.0, {}, []
    items: dict[str, str] = {}
    scale_of: dict[str, dict[str, float]] = {}
    for q in questions:  # a loop over questions, not rows
        col = answers[q].cast(pl.String).drop_nulls()
        col = col.filter(~col.is_in(list(_SKIPPED)))
        if col.len() == 0:
            continue
        seen = set(col.unique().to_list())
        scale = next((s for s in SCALES if seen <= set(s)), None)
        if scale is not None:
            items[q] = _item_name(q)
            scale_of[q] = scale
            continue
        m = match_units(col, units)
        hits = m.filter(pl.col("unit_id").is_not_null())
        counts = col.value_counts().rename({col.name: "value"})
        share = float(counts.join(hits.select("value"), on="value")["count"].sum()) / col.len()
        if share > best_share:
            best, best_share = q, share
            best_labels = dict(hits.filter(pl.col("value") != pl.col("unit_id"))
                               .select("value", "unit_id").iter_rows())
            best_misses = (counts.join(hits.select("value"), on="value", how="anti")
                           .sort("count", "value", descending=[True, False])["value"].to_list())
    if best is not None and 0 < best_share < 0.5 and items:
        shown = "、".join(best_misses[:5]) + (" 等" if len(best_misses) > 5 else "")
        raise UsageError(Problem(
            None, None, best, shown, "survey_units_unmatched",
            f"问卷星导出的楼栋题“{best}”只有 {best_share:.0%} 的答案对得上参评单位名单，"
            f"对不上的有 {len(best_misses)} 种：{shown}",
            f"only {best_share:.0%} of the answers to the building question {best} match the "
            f"units list; {len(best_misses)} answers do not: {shown}",
            "请确认问卷与评分表是同一次评比；若只是写法不同，在 rubric.toml 的 [wjx.unit_labels] "
            "中写明对应（见 docs/rubric.md）",
            "check that the survey belongs to this competition; for other spellings, map them "
            "in [wjx.unit_labels] (see docs/rubric.md)"))
    if best is None or best_share < 0.5 or not items:
        raise UsageError(Problem(
            None, None, None, None, "survey_not_understood",
            "看不出问卷星导出中哪一题是楼栋、哪些题是满意度" if best is None or best_share < 0.5
            else "问卷星导出中没有找到满意度题目（答案应为 满意/基本满意/不太满意/不满意 等）",
            "cannot tell which question names the building or which are satisfaction items",
            "请在 rubric.toml 中手工填写 [wjx]（见 docs/rubric.md）",
            "fill in [wjx] in rubric.toml by hand (see docs/rubric.md)"))
    used = {k for s in scale_of.values() for k in s}
    labels = next(s for s in SCALES if used <= set(s))  if any(used <= set(s) for s in SCALES) \
        else max(scale_of.values(), key=len)
    return SurveyDraft(best, items, best_labels, dict(labels))


def draft_folder_survey(wjx: str | Path, units: str | Path | None) -> SurveyDraft:
    """:func:`draft_survey` of the 问卷星 export ``wjx`` against the units list ``units`` (a
    dataset's ``units.csv`` or the raw units file), both as the user gave them.

    Raises
    ------
    UsageError
        No units list to match the building answers against, or the export not understood.
    """
    from evaltools.io import read_survey_answers, read_units

    if units is None or not Path(units).is_file():
        raise UsageError(Problem(
            str(wjx), None, None, None, "survey_without_units",
            "没有参评单位名单，无法对应问卷中的楼栋", "no units list to match the survey's buildings",
            "请一并提供参评单位名单（units.csv）", "give the units list (units.csv) too"))
    return draft_survey(read_survey_answers(Path(wjx)), read_units(Path(units), lenient=True).data)


def _wjx_table(survey: SurveyDraft) -> Any:
    """The ``[wjx]`` table of a drafted export (tomlkit)."""
    import tomlkit

    wjx = tomlkit.table()
    wjx["unit_question"] = survey.unit_question
    wjx["items"] = tomlkit.table()
    wjx["items"].update(survey.items)
    if survey.unit_labels:
        wjx["unit_labels"] = tomlkit.table()
        wjx["unit_labels"].update(survey.unit_labels)
    return wjx


def _satisfaction_criterion(max_points: float) -> Any:
    """The 群众满意度 ``[[criteria]]`` entry: 满意率 of the residents' ratings (tomlkit)."""
    import tomlkit

    sat = tomlkit.table()
    sat["id"], sat["name"], sat["source"] = "satisfaction", "群众满意度", "ratings"
    sat["aggregate"] = "satisfaction_rate"
    sat["max_points"] = _num(max_points)
    return sat


def survey_section(survey: SurveyDraft, file_name: str, *, residents_share: float = 20.0,
                   total_points: float = 100.0) -> str:
    """The rubric lines that read the export ``file_name`` (``evaltools init`` appends them to
    the draft ``rubric.toml``): ``[ratings]`` (the answer scale and 满意率's labels) and ``[wjx]``
    (which question names the building, which are satisfaction items) as found, marked 待确认;
    then the 群众满意度 criterion commented out, because counting residents in the total is the
    person's decision (the app's default too: 评委 100%). Without ``[wjx]`` a folder holding an
    export does not validate at all.

    Examples
    --------
    >>> d = SurveyDraft("1、您居住的楼栋", {"2、您对楼道卫生是否满意": "楼道卫生"}, {},
    ...                 {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0})
    >>> text = survey_section(d, "问卷星.csv")
    >>> import tomllib
    >>> doc = tomllib.loads(text)
    >>> doc["wjx"]["unit_question"], doc["ratings"]["scale"], "criteria" in doc
    ('1、您居住的楼栋', [1, 4], False)
    >>> lines = [ln.removeprefix("# ") for ln in text.splitlines()
    ...          if not ln.startswith(("# 待确认", "# 并把", "# 问卷星"))]
    >>> doc = tomllib.loads(chr(10).join(lines))
    >>> doc["criteria"][0]["max_points"], doc["criteria"][0]["source"]
    (20, 'ratings')
    """
    import tomlkit

    top = next(iter(survey.labels))
    satisfied = [top, "满意"] if top != "满意" else ["满意", "基本满意"]
    doc = tomlkit.document()
    ratings = tomlkit.table()
    ratings["labels"] = tomlkit.inline_table()
    ratings["labels"].update({k: _num(v) for k, v in survey.labels.items()})
    ratings["labels"].comment("问卷答案 → 分值（自动识别）")
    values = list(survey.labels.values())
    ratings["scale"] = [_num(min(values)), _num(max(values))]
    ratings["satisfied"] = satisfied
    ratings["satisfied"].comment("待确认：满意率算哪些等级")
    doc["ratings"] = ratings
    wjx = _wjx_table(survey)
    wjx["unit_question"].comment("待确认：哪一题是楼栋（自动识别）")
    doc["wjx"] = wjx
    crit = tomlkit.aot()
    crit.append(_satisfaction_criterion(total_points * residents_share / 100.0))
    criterion = tomlkit.document()
    criterion["criteria"] = crit
    judges = (100 - residents_share) / 100
    return "\n".join([
        f"# 问卷星导出“{file_name}”：由 evaltools init 自动识别（待确认）。| the 问卷星 export "
        f"{file_name} as evaltools init read it.",
        tomlkit.dumps(doc).strip(),
        "",
        f"# 待确认：要把群众满意度计入总分（如 评委 {100 - residents_share:g}% + 满意度 "
        f"{residents_share:g}%），去掉下面各行开头的“# ”，",
        f"# 并把上面评委各指标的 max_points 按比例调低（× {judges:g}），使各指标满分之和仍为 "
        "total_points。| uncomment to count residents; lower the judges' max_points to match.",
        *("# " + line if line else "#" for line in tomlkit.dumps(criterion).strip().splitlines()),
    ]) + "\n"


def parse_grades(text: str) -> list[tuple[str, float]]:
    """``"优秀 ≥ 90 / 良好 ≥ 80"`` → ``[("优秀", 90.0), ("良好", 80.0)]``; ``"不分等级"`` → ``[]``.

    >>> parse_grades("优秀 ≥ 90 / 良好 ≥ 80 / 合格 ≥ 60")
    [('优秀', 90.0), ('良好', 80.0), ('合格', 60.0)]
    """
    out = []
    for part in re.split(r"[/／,，;；]", text):
        m = re.match(r"\s*(\S+?)\s*(?:≥|>=|＞=|大于等于)\s*(\d+(?:\.\d+)?)\s*$", part)
        if m:
            out.append((m.group(1), float(m.group(2))))
    return out


def parse_shares(text: str) -> tuple[float, float]:
    """``"评委 80% + 满意度 20%"`` → ``(80.0, 20.0)``; ``"评委 100%"`` → ``(100.0, 0.0)``.

    >>> parse_shares("评委 80% + 满意度 20%"), parse_shares("评委 100%")
    ((80.0, 20.0), (100.0, 0.0))
    """
    judges = re.search(r"评委\D*?(\d+(?:\.\d+)?)\s*%", text)
    residents = re.search(r"满意度\D*?(\d+(?:\.\d+)?)\s*%", text)
    j = float(judges.group(1)) if judges else 100.0
    r = float(residents.group(1)) if residents else 100.0 - j
    return j, r


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 2)


def _set(table, key: str, value, comment: str | None = None) -> None:
    """Set ``table[key]`` keeping (or replacing) the line's comment, 待确认 → 已确认."""
    import tomlkit

    old = table.get(key) if key in table else None
    note = comment
    if note is None and old is not None and getattr(old, "trivia", None) is not None:
        note = old.trivia.comment.lstrip("#").strip() or None
    item = tomlkit.item(value)
    if note:
        item.comment(note.replace("待确认", "已确认"))
    table[key] = item


def apply_decisions(folder: str | Path, answers: Mapping[str, str], *,
                    survey: SurveyDraft | None = None) -> Path:
    """Write the answers to a draft rubric's decisions into ``folder/rubric.toml``.

    Parameters
    ----------
    folder : the dataset folder made by ``init_dataset``.
    answers : decision key (:attr:`evaltools.importer.Decision.key`) → the chosen option or the
        typed value: ``competition.name``, ``judges.aggregate``, ``criteria.<id>.max_points``,
        ``grades`` (``"不分等级"`` or ``"优秀 ≥ 90 / 良好 ≥ 80 …"``), ``ratings.satisfied``
        (``"满意"`` or ``"满意+基本满意"``), ``weights`` (``"评委 80% + 满意度 20%"``).
    survey : the ``[wjx]`` draft of the folder's 问卷星 export (:func:`draft_survey`); written
        when given, so the export is read.

    Returns
    -------
    Path
        The rubric file. Every remaining ``待确认`` mark becomes ``已确认``: the person answered
        the whole form (a default they kept is a decision too).
    """
    import tomlkit

    path = Path(folder) / "rubric.toml"
    if not path.is_file():
        raise UsageError(f"找不到评分细则草稿：{path}", f"no draft rubric: {path}")
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    comp = doc.setdefault("competition", tomlkit.table())
    crits = doc.get("criteria", [])
    for key, value in answers.items():
        value = str(value).strip()
        if key == "competition.name" and value:
            _set(comp, "name", value)
        elif key == "judges.aggregate":
            _set(doc.setdefault("judges", tomlkit.table()), "aggregate", value)
        elif key.startswith("criteria.") and key.endswith(".max_points"):
            cid = key[len("criteria."):-len(".max_points")]
            for c in crits:
                if c.get("id") == cid:
                    mx = _num(float(value))
                    _set(c, "max_points", mx)
                    _set(c, "scale", [0, mx])
        elif key == "ratings.satisfied":
            labels = ["满意", "基本满意"] if "基本" in value else ["满意"]
            if survey is not None and "非常满意" in survey.labels:
                labels = ["非常满意", "满意"] if "基本" in value else ["非常满意"]
            elif survey is not None and "很满意" in survey.labels:
                labels = ["很满意", "满意"] if "基本" in value else ["很满意"]
            ratings = doc.setdefault("ratings", tomlkit.table())
            if survey is not None:
                _set(ratings, "labels", tomlkit.inline_table())
                ratings["labels"].update({k: _num(v) for k, v in survey.labels.items()})
                values = list(survey.labels.values())
                _set(ratings, "scale", [_num(min(values)), _num(max(values))])
            _set(ratings, "satisfied", labels, "满意率的口径（已确认）")
        elif key == "grades":
            bands = parse_grades(value)
            if bands:
                aot = tomlkit.aot()
                for name, lo in bands:
                    t = tomlkit.table()
                    t["name"], t["min"] = name, _num(lo)
                    aot.append(t)
                doc["grades"] = aot
    if survey is not None:
        doc["wjx"] = _wjx_table(survey)
    judges_share, residents_share = parse_shares(answers.get("weights", "评委 100%"))
    if residents_share > 0 and not any(c.get("source") == "ratings" for c in crits):
        total = float(comp.get("total_points", 100))
        for c in crits:
            if c.get("source", "judges") == "judges" and "max_points" in c:
                _set(c, "max_points", _num(float(c["max_points"]) * judges_share / 100.0),
                     f"评委部分占 {judges_share:g}%（已确认）")
        sat = _satisfaction_criterion(total * residents_share / 100.0)
        sat["max_points"].comment(f"群众满意度占 {residents_share:g}%（已确认）")
        doc["criteria"].append(sat)
    text = tomlkit.dumps(doc).replace("待确认", "已确认")
    path.write_text(text, encoding="utf-8")
    return path
