"""The scoring pipeline (评分流水线): validated tables + rubric → scored, ranked rounds.

One module per step; :mod:`evaltools.scoring.rounds` documents the rules of a round in full.

- :mod:`~evaltools.scoring.common` — method and rule names, table schemas, :class:`RoundResult`;
- :mod:`~evaltools.scoring.values` — each criterion's aggregated value per unit (judges' panels,
  review cards, units columns, campaign votes);
- :mod:`~evaltools.scoring.points` — the ``points`` method (百分制): deductions, bonuses, vetoes;
- :mod:`~evaltools.scoring.methods` — the MCDA methods through :mod:`evaltools.mcda`;
- :mod:`~evaltools.scoring.rounds` — one round scored (:func:`score_round`), rounds combined;
- :mod:`~evaltools.scoring.reweight` — a round's weight-independent parts as arrays
  (:class:`ReweightModel`), for the weight explorer and robustness;
- :mod:`~evaltools.scoring.board` — ranks, labels, published totals, grades, stars, movement, and
  the whole evaluation (:func:`evaluate_rounds` → :class:`Evaluation`).

Data flows down only: this package imports the data layer (rubric, errors) and the formula
modules (judging, ratings, mcda, ranking, rounding, campaign, kpi); it never imports the
leaderboard, analyses, outputs or widgets.
"""

from typing import TYPE_CHECKING

from evaltools.lazy import lazy_names
from evaltools.scoring.board import (
    DISQUALIFIED_LABEL,
    Evaluation,
    evaluate_rounds,
    reweighted_rubric,
    round_numbers,
)
from evaltools.scoring.common import (
    DEFAULT_NORMALIZATION,
    JUDGE_RULES,
    METHODS,
    RATING_RULES,
    RESERVED_COLUMNS,
    RULE_ZH,
    RoundResult,
    judge_rule,
    rating_rule,
    satisfaction_definition,
)
from evaltools.scoring.methods import mcda_weights
from evaltools.scoring.points import in_points
from evaltools.scoring.rounds import combine_rounds, score_round, values_key
from evaltools.scoring.values import SCORE_CODES_KEY, criterion_values, participants

if TYPE_CHECKING:
    from evaltools.scoring.reweight import ReweightModel, reweight_model

#: Names imported on first use (PEP 562): the weight explorer's model is not needed to score
#: (``evaltools evaluate`` does not build it; issue 17).
_LAZY = {"ReweightModel": "evaltools.scoring.reweight",
         "reweight_model": "evaltools.scoring.reweight"}

__getattr__, __dir__ = lazy_names(globals(), _LAZY)


__all__ = [
    "DEFAULT_NORMALIZATION",
    "DISQUALIFIED_LABEL",
    "JUDGE_RULES",
    "METHODS",
    "RATING_RULES",
    "RESERVED_COLUMNS",
    "RULE_ZH",
    "SCORE_CODES_KEY",
    "Evaluation",
    "ReweightModel",
    "RoundResult",
    "combine_rounds",
    "criterion_values",
    "evaluate_rounds",
    "in_points",
    "judge_rule",
    "mcda_weights",
    "participants",
    "rating_rule",
    "reweight_model",
    "reweighted_rubric",
    "round_numbers",
    "satisfaction_definition",
    "score_round",
    "values_key",
]
