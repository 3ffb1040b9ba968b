"""The judges' scores of a long table as integer codes (numpy), for scoring at scale.

On a street office's board (hundreds to thousands of score rows) the judges' panels are polars
group-bys (:mod:`evaltools.scoring.values`). From ``values.CODED_MIN_ROWS`` score rows on, the
whole scores table is coded once per dataset and rubric (:class:`ScoreCodes`: units and judges
as integers in their sorted order, criteria in the rubric's order), and each round's panels are
laid out from the codes by :func:`evaltools.judging.coded.coded_panels` and reduced as
(groups, size) matrices — no string group-by over millions of rows. Both layouts give the same
board (``tests/test_fast_paths_engine.py``); this module is imported only when the codes are made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from evaltools.judging.coded import coded_panels, panel_lists, panel_reduce, string_codes
from evaltools.records import FieldRepr
from evaltools.rubric import Rubric

__all__ = ["RoundPanels", "ScoreCodes", "judge_panels", "judge_values", "make_codes",
           "present_units", "round_panels", "rounds_of"]


@dataclass(frozen=True, repr=False, eq=False)  # repr: FieldRepr's
class ScoreCodes(FieldRepr):
    """The whole scores table as integer codes: made once per dataset and rubric, shared by the
    rounds (the previous round for movement) and by the steps that need the scores (judges'
    panels, participants, judges per unit). Units and judges are coded in their sorted order,
    criteria in the rubric's order of its judges criteria (−1: not one of them)."""

    rounds: pl.Series
    units: pl.Series
    judges: pl.Series
    crit_ids: tuple[str, ...]
    u: np.ndarray
    j: np.ndarray
    c: np.ndarray
    score: np.ndarray


@dataclass(frozen=True, repr=False, eq=False)  # repr: FieldRepr's
class RoundPanels(FieldRepr):
    """One round's judges' panels laid out from :class:`ScoreCodes` (see ``round_panels``)."""

    codes: ScoreCodes
    sorted_scores: np.ndarray
    starts: np.ndarray
    lens: np.ndarray
    unit_of: np.ndarray
    crit_of: np.ndarray
    participants: pl.DataFrame
    n_judges: pl.DataFrame


def make_codes(scores: pl.DataFrame, crit_ids: tuple[str, ...]) -> ScoreCodes | None:
    """The scores table coded, or None when unit or judge ids have nulls."""
    units = string_codes(scores["unit_id"])
    judges = string_codes(scores["judge_id"]) if units is not None else None
    if units is None or judges is None:
        return None
    crit = scores["criterion"].cast(pl.String)
    try:
        c = crit.cast(pl.Enum(list(crit_ids))).to_physical().fill_null(-1)
    except pl.exceptions.InvalidOperationError:  # other criteria too: code them −1
        c = crit.replace_strict(list(crit_ids), list(range(len(crit_ids))), default=-1,
                                return_dtype=pl.Int32)
    return ScoreCodes(
        rounds=scores["round"], units=units[1], judges=judges[1], crit_ids=crit_ids,
        u=units[0], j=judges[0], c=c.cast(pl.Int32).to_numpy(),
        score=scores["score"].cast(pl.Float64).to_numpy())


def rounds_of(codes: ScoreCodes, scores: pl.DataFrame, criterion_ids: tuple[str, ...]
              ) -> pl.Series:
    """The round of every row of a rubric criterion (judges' rows from the codes; rows of the
    rubric's other criteria from ``scores``)."""
    other = codes.c < 0
    if not other.any():
        return codes.rounds
    rest = scores.filter(pl.Series(other))
    return pl.concat([codes.rounds.filter(pl.Series(~other)), rest.filter(
        pl.col("criterion").is_in(list(criterion_ids)))["round"]])


def round_panels(codes: ScoreCodes, rnd: int) -> RoundPanels:
    """Round ``rnd`` from the codes: participants (units with a row of a judges criterion), the
    number of distinct judges per unit (every row of the round), and the panels of the judges
    criteria with a score, ordered by criterion (rubric order), then unit (sorted)."""
    in_round = (codes.rounds == rnd).fill_null(False).to_numpy()
    if in_round.all():
        u, j, c, sc = codes.u, codes.j, codes.c, codes.score
    else:
        rows = np.flatnonzero(in_round)
        u, j, c, sc = codes.u[rows], codes.j[rows], codes.c[rows], codes.score[rows]
    n_u, n_j, n_c = codes.units.len(), max(codes.judges.len(), 1), len(codes.crit_ids)
    pair: np.ndarray = u.astype(np.int64 if n_u * n_j >= 2**31 else np.int32) * n_j
    pair += j
    if n_u * n_j <= 4 * pair.size + (1 << 20):
        seen = np.zeros(n_u * n_j, bool)
        seen[pair] = True
        per_unit = seen.reshape(n_u, n_j).sum(axis=1)
    else:
        per_unit = np.bincount(np.unique(pair) // n_j, minlength=n_u)
    judged = c >= 0
    has = per_unit > 0
    if judged.all():
        is_part = has
    else:
        is_part = np.zeros(n_u, bool)
        is_part[u[judged]] = True
    n_judges = pl.DataFrame({"unit_id": codes.units.filter(pl.Series(has)),
                             "n_judges": pl.Series(per_unit[has], dtype=pl.Int64)})
    participants = pl.DataFrame({"unit_id": codes.units.filter(pl.Series(is_part))})
    ok = judged & ~np.isnan(sc)
    if not ok.all():
        u, j, c, sc = u[ok], j[ok], c[ok], sc[ok]
    sorted_scores, starts, lens, gid = coded_panels(u, c, j, sc, n_u, n_c, n_j)
    return RoundPanels(codes=codes, sorted_scores=sorted_scores, starts=starts, lens=lens,
                        unit_of=gid % n_u, crit_of=gid // n_u, participants=participants,
                        n_judges=n_judges)


def judge_panels(panels: RoundPanels, rule_map: dict[str, str]) -> pl.DataFrame:
    """One row per panel: ``unit_id, criterion, rule, raw`` (the scores in judge order) and
    ``n``, in (criterion, unit) order."""
    ids = pl.Series(list(rule_map), dtype=pl.String)
    crit_of = pl.Series(panels.crit_of)
    return pl.DataFrame({
        "unit_id": panels.codes.units.gather(panels.unit_of),
        "criterion": ids.gather(crit_of),
        "rule": pl.Series(list(rule_map.values()), dtype=pl.String).gather(crit_of),
        "raw": panel_lists(panels.sorted_scores, panels.starts, panels.lens),
        "n": pl.Series(panels.lens, dtype=pl.Int64),
    })


def judge_values(panels: RoundPanels, rule_of: pl.Series, rubric: Rubric) -> list[pl.Series]:
    """Each panel's value by its rule (NaN for ``zscore``, which the caller fills) and whether it
    used the rubric's fallback (panels with too few judges), as ``value`` and ``_fb``."""
    sorted_scores, starts, lens = panels.sorted_scores, panels.starts, panels.lens
    fallback = rubric.judge_fallback
    value = np.full(lens.size, np.nan)
    fell_back = np.zeros(lens.size, dtype=bool)
    for rule in sorted(set(rule_of.unique().to_list())):  # at most four rules
        rows = np.flatnonzero((rule_of == rule).to_numpy())
        need_n = max(int(rubric.min_judges), 3 if rule == "trimmed_mean" else 1)
        short_rows = rows[lens[rows] < need_n]
        ok_rows = rows[lens[rows] >= need_n]
        if rule != "zscore":
            value[ok_rows] = panel_reduce(sorted_scores, starts, lens, rule, ok_rows)
        if short_rows.size and fallback is not None:
            value[short_rows] = panel_reduce(sorted_scores, starts, lens, fallback, short_rows)
            fell_back[short_rows] = True
    return [pl.Series("value", value, dtype=pl.Float64),
            pl.Series("_fb", fell_back, dtype=pl.Boolean)]


def present_units(values: pl.DataFrame, panels: RoundPanels) -> pl.DataFrame | None:
    """``values``' distinct units, sorted: matched against the (sorted) participants instead of
    hashing and sorting the long column; None when some unit is not a participant."""
    who = panels.participants["unit_id"]
    if not who.len():
        return None
    try:
        code = values["unit_id"].cast(pl.Enum(who)).to_physical()
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        return None
    if code.null_count():
        return None
    seen = np.bincount(code.to_numpy(), minlength=who.len()) > 0
    return pl.DataFrame({"unit_id": who.filter(pl.Series(seen))})
