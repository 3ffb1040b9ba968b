"""How sure is this ranking? Rank intervals, SMAA-2, weight stability and panel reliability.

A 榜单 with scores to two decimals hides how fragile it is. This module measures it, for any
:class:`~evaltools.leaderboard.Leaderboard`, without calling :func:`~evaltools.evaluate` in a loop:
the rubric's scoring is rebuilt once as a numpy model of the round (units × criteria values →
totals) and then run on whole stacks of replicates or weight vectors at once.

* :func:`rank_intervals` — **bootstrap**: review cards are resampled within each unit and judges
  within each panel of 5 or more (smaller panels are kept as they are), the whole evaluation is
  re-run on a ``replicates × units × criteria`` array, chunk by chunk; per unit: median rank, the
  95% rank interval, P(rank = 1) and P(top k). Seeded with ``numpy.random.default_rng(seed)``.
* :func:`smaa` — **SMAA-2** (Lahdelma & Salminen 2001): weights drawn uniformly from the simplex
  (Dirichlet(1)), or within bounds around the rubric's weights, or under an ordering such as
  环境卫生 ≥ 居民参与; rank acceptability indices b(i, r), central weight vectors, confidence
  factors, holistic acceptability. One matrix product per chunk for weighted sum, points, weighted
  product and TOPSIS; ties share their ranks evenly, so rows and columns of b sum to 1.
* :func:`weight_stability` — for each criterion, the interval of its weight (others rescaled in
  proportion) over which rank 1 and the top-N order stay unchanged, and for each adjacent pair of
  the leaderboard the smallest single-weight change that swaps them (fragile within 0.05). Closed
  form for weighted sum and points (totals are linear in the weights); a grid with linear
  interpolation for weighted product, TOPSIS and VIKOR.
* :func:`panel_reliability` — ICC(2,k) and Kendall's W per round, criterion and judge panel with
  plain-language bands (Koo & Li 2016; Schmidt 1997), and the judges whose leniency stands out.

Long computations show a tqdm progress bar (``progress=None`` shows it in terminals and notebooks
only) and can be stopped: Ctrl-C (KeyboardInterrupt) or a ``cancel`` callback / ``threading.Event``
between chunks returns the replicates done so far, with a note.

What the replicate model keeps fixed (stated in every result's notes): deductions, bonuses and
vetoes found by inspection; values filled by the missing-value policy; ``units`` columns; the
z-score judge standardisation (judges' means and sds from the full data). Ties in replicates are
ranked 1224 on totals rounded to 9 decimals; tie-breakers are not applied.

Examples
--------
>>> from evaltools.examples import three_buildings
>>> lb = three_buildings()
>>> ri = rank_intervals(lb, replicates=200, seed=1, progress=False)
>>> ri.table.select("unit_id", "rank", "rank_lower", "rank_upper", "p_first")
shape: (3, 5)
┌─────────┬──────┬────────────┬────────────┬─────────┐
│ unit_id ┆ rank ┆ rank_lower ┆ rank_upper ┆ p_first │
│ ---     ┆ ---  ┆ ---        ┆ ---        ┆ ---     │
│ str     ┆ i64  ┆ i64        ┆ i64        ┆ f64     │
╞═════════╪══════╪════════════╪════════════╪═════════╡
│ B       ┆ 1    ┆ 1          ┆ 2          ┆ 0.55    │
│ A       ┆ 2    ┆ 1          ┆ 2          ┆ 0.455   │
│ C       ┆ 3    ┆ 3          ┆ 3          ┆ 0.0     │
└─────────┴──────┴────────────┴────────────┴─────────┘
"""

from __future__ import annotations

from evaltools.robustness._model import Cancel as Cancel
from evaltools.robustness._model import Method as Method
from evaltools.robustness.acceptability import Acceptability, smaa
from evaltools.robustness.intervals import RankIntervals, rank_intervals
from evaltools.robustness.reliability import ICC_BANDS as ICC_BANDS
from evaltools.robustness.reliability import W_BANDS as W_BANDS
from evaltools.robustness.reliability import (
    PanelReliability,
    icc_band,
    kendall_w_band,
    panel_reliability,
)
from evaltools.robustness.stability import FRAGILE as FRAGILE
from evaltools.robustness.stability import WeightStability, weight_stability

__all__ = [
    "Acceptability",
    "PanelReliability",
    "RankIntervals",
    "WeightStability",
    "icc_band",
    "kendall_w_band",
    "panel_reliability",
    "rank_intervals",
    "smaa",
    "weight_stability",
]

