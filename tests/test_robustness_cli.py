"""``evaltools robustness``: exit codes and what it prints."""

from __future__ import annotations

import io
from pathlib import Path

from evaltools.cli import main
from evaltools.cli.robustness import run_robustness

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_robustness_on_the_sample(capsys):
    import argparse

    out = io.StringIO()
    args = argparse.Namespace(data=str(SAMPLE), rubric=None, samples=40, seed=3, round=None,
                              top=3)
    assert run_robustness(args, out) == 0
    text = out.getvalue()
    for heading in ("名次区间", "SMAA-2", "权重稳定区间", "不稳的相邻名次", "评委一致性"):
        assert heading in text
    assert "第1名（95%区间" in text and "40 replicates, seed 3" in text
    # the same seed prints the same report
    again = io.StringIO()
    assert run_robustness(args, again) == 0
    assert again.getvalue() == text


def test_robustness_usage_errors(capsys):
    assert main(["robustness", "/no/such/folder"]) == 2
    assert main(["robustness", str(SAMPLE), "--samples", "0"]) == 2
    assert main(["robustness", str(SAMPLE), "--round", "x"]) == 2
    assert main(["robustness", str(SAMPLE), "--rubric", "/no/rubric.toml"]) == 2
