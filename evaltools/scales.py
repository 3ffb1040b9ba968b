"""Rating scales people use on 群众点评卡 and in 问卷星 (4- and 5-level wordings, 1–5, 1–10, 0–10),
and which one a column of answers comes from. Format knowledge for the readers (data-in layer);
:mod:`evaltools.ratings` re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from evaltools.records import Record

__all__ = ["COMMON_SCALES", "FIVE_LEVEL", "FOUR_LEVEL", "Scale", "detect_scale"]

#: 4-level scale used on most 群众点评卡.
FOUR_LEVEL: dict[str, float] = {"满意": 4.0, "基本满意": 3.0, "不太满意": 2.0, "不满意": 1.0}
#: 5-level scale (问卷星 default Likert wording).
FIVE_LEVEL: dict[str, float] = {
    "非常满意": 5.0, "满意": 4.0, "一般": 3.0, "不满意": 2.0, "非常不满意": 1.0,
}


@dataclass(frozen=True, repr=False, eq=False)  # repr, == and hash: Record's
class Scale(Record):
    """A rating scale as a rubric's ``[ratings]`` section states it.

    name : how users call it (五级（很满意…很不满意）, 1–10 分 …).
    labels : label → value, best first (numeric scales: "1" → 1 …).
    satisfied : the labels counted in 满意率 by default (the top two levels, ≥ 8 of 10).
    scale : (lowest, highest) value.
    """

    name: str
    labels: dict[str, float]
    satisfied: tuple[str, ...]
    scale: tuple[float, float]

    def toml(self) -> str:
        """The scale as ``[ratings]`` lines of a rubric.toml.

        >>> print(COMMON_SCALES[0].toml())
        labels = { "很满意" = 5, "满意" = 4, "一般" = 3, "不满意" = 2, "很不满意" = 1 }
        satisfied = ["很满意", "满意"]
        scale = [1, 5]
        """
        def num(x: float) -> str:
            return str(int(x)) if float(x).is_integer() else str(x)

        labels = ", ".join(f'"{k}" = {num(v)}' for k, v in self.labels.items())
        satisfied = ", ".join(f'"{k}"' for k in self.satisfied)
        return (f"labels = {{ {labels} }}\nsatisfied = [{satisfied}]\n"
                f"scale = [{num(self.scale[0])}, {num(self.scale[1])}]")


def _numeric_scale(lo: int, hi: int, satisfied_from: int) -> Scale:
    labels = {str(v): float(v) for v in range(hi, lo - 1, -1)}
    return Scale(f"{lo}–{hi} 分", labels, tuple(str(v) for v in range(hi, satisfied_from - 1, -1)),
                 (float(lo), float(hi)))


#: The scales people use on 点评卡 and in 问卷星, most specific first: three 5-level wordings,
#: the 4-level card, and the numeric 1–5, 0–10 and 1–10 scales.
COMMON_SCALES: tuple[Scale, ...] = (
    Scale("五级（很满意…很不满意）",
          {"很满意": 5.0, "满意": 4.0, "一般": 3.0, "不满意": 2.0, "很不满意": 1.0},
          ("很满意", "满意"), (1.0, 5.0)),
    Scale("五级（非常满意…非常不满意）", dict(FIVE_LEVEL), ("非常满意", "满意"), (1.0, 5.0)),
    Scale("五级（非常满意、比较满意…）",
          {"非常满意": 5.0, "比较满意": 4.0, "一般": 3.0, "不太满意": 2.0, "非常不满意": 1.0},
          ("非常满意", "比较满意"), (1.0, 5.0)),
    Scale("四级（满意、基本满意、不太满意、不满意）", dict(FOUR_LEVEL), ("满意", "基本满意"),
          (1.0, 4.0)),
    _numeric_scale(1, 5, 4),
    _numeric_scale(1, 10, 8),
    _numeric_scale(0, 10, 8),
)


def detect_scale(answers: pl.Series) -> Scale | None:
    """The common scale (:data:`COMMON_SCALES`) the answers come from, or None.

    Labels: the scale with the fewest levels that holds every distinct answer (满意 / 不满意 alone
    fit the 4-level card and the 5-level wordings; the 4-level card is taken). Whole numbers: 1–5
    when they lie in 1..5, else 1–10 (0–10 when there is a 0). Missing answers (null, 问卷星's
    -2 / -3) are ignored; anything else (free text, 1┋3 multi-select) gives None.

    >>> detect_scale(pl.Series(["非常满意", "一般", None, "-2"])).name
    '五级（非常满意…非常不满意）'
    >>> detect_scale(pl.Series(["10", "7", "8"])).name
    '1–10 分'
    >>> detect_scale(pl.Series(["满意", "很好"])) is None
    True
    """
    values = answers.cast(pl.String).str.strip_chars().drop_nulls()
    values = values.filter(~values.is_in(["-2", "-3", "(跳过)", "(空)", ""])).unique()
    if values.is_empty():
        return None
    if values.str.contains(r"^\d+$").all():
        bounds = values.cast(pl.Int64).to_frame("v").select(
            pl.col("v").min().alias("lo"), pl.col("v").max().alias("hi"))
        lo, hi = bounds.row(0)
        if lo >= 1 and hi <= 5:
            return COMMON_SCALES[4]
        if hi <= 10:
            return COMMON_SCALES[5] if lo >= 1 else COMMON_SCALES[6]
        return None
    found = set(values.to_list())
    fits = [s for s in COMMON_SCALES[:4] if found <= set(s.labels)]
    return min(fits, key=lambda s: len(s.labels)) if fits else None
