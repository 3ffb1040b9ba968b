"""judging.agreement (added for notebook 02): per-panel ICC / Kendall W / α against the kernels."""

from __future__ import annotations

import polars as pl
import pytest

from evaltools import judging

Y = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def _frame(rnd: int, rows) -> pl.DataFrame:
    return pl.DataFrame({"round": rnd, "unit_id": [i for i in range(len(rows)) for _ in range(4)],
                         "judge_id": list("abcd") * len(rows), "score": [v for r in rows for v in r]})


def test_shrout_fleiss_known_answers_per_round():
    reversed_rows = [[10 - v for v in r] for r in Y]
    df = pl.concat([_frame(1, Y), _frame(2, reversed_rows)])
    out = judging.agreement(df)
    assert out["round"].to_list() == [1, 2]
    assert out["icc2k"][0] == pytest.approx(0.62, abs=0.005)
    assert out["icc3"][0] == pytest.approx(0.71, abs=0.005)
    # the same panel mirrored: agreement is unchanged
    assert out["icc2k"][1] == pytest.approx(out["icc2k"][0])
    w = judging.kendall_w(_frame(1, Y))
    assert out["kendall_w"][0] == pytest.approx(w.w) and out["kendall_p"][0] == pytest.approx(w.p)
    assert out["alpha"][0] == pytest.approx(judging.krippendorff_alpha(_frame(1, Y)))


def test_incomplete_panel_gives_alpha_only():
    df = _frame(1, Y).filter(~((pl.col("unit_id") == 0) & (pl.col("judge_id") == "a")))
    out = judging.agreement(df)
    assert out["icc2k"][0] is None and out["kendall_w"][0] is None
    assert out["alpha"][0] == pytest.approx(judging.krippendorff_alpha(df))
    assert out["n_units"][0] == 6 and out["n_judges"][0] == 4
