"""What a fresh process loads (issue 17): heavy libraries only when a function needs them.

Each check runs in a subprocess, so the modules this test session has already imported do not
hide an import. No timing assertions (timing is measured by the benchmark suite).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
HEAVY = ("scipy", "scipy.stats", "numba", "altair", "vl_convert", "ipywidgets", "pyarrow",
         "pandas", "jsonschema", "evaltools.charts", "evaltools.widgets", "evaltools._kernels",
         "evaltools.scoring.reweight")


def _loaded_after(code: str, modules: tuple[str, ...] = HEAVY) -> set[str]:
    """The ``modules`` (default: the heavy ones) present in ``sys.modules`` after running
    ``code`` in a new process."""
    probe = code + f"\nimport sys, json\nprint(json.dumps([m for m in {modules!r} if m in sys.modules]))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_evaltools_loads_no_heavy_module():
    assert _loaded_after("import evaltools") == set()


def test_evaluating_the_sample_loads_no_heavy_module():
    code = (f"from evaltools import read_dataset, evaluate\n"
            f"lb = evaluate(read_dataset({str(SAMPLE)!r}))\nassert lb.table.height > 0")
    assert _loaded_after(code) == set()


def test_a_street_office_board_is_scored_without_numpy():
    # the judges' panels are polars group-bys below scoring.values.CODED_MIN_ROWS score rows,
    # and ranks are polars' below ranking.COUNTING_MIN_ROWS: numpy's import (≈ 0.05 s of CPU)
    # is not paid by `evaltools evaluate` on a district's board
    code = (f"from evaltools import read_dataset, evaluate\n"
            f"lb = evaluate(read_dataset({str(SAMPLE)!r}), round='all')\n"
            f"assert lb.table.height > 0")
    assert "numpy" not in _loaded_after(code, ("numpy",))
    cli = ("import sys\nfrom evaltools.cli import main\n"
           f"assert main(['evaluate', {str(SAMPLE)!r}]) == 0")
    assert "numpy" not in _loaded_after(cli, ("numpy",))
    # and the probe sees numpy when a long table takes the coded path
    long = ("from unittest import mock\nfrom evaltools import read_dataset, evaluate, scoring\n"
            "with mock.patch.object(scoring.values, 'CODED_MIN_ROWS', 0):\n"
            f"    evaluate(read_dataset({str(SAMPLE)!r}))")
    assert "numpy" in _loaded_after(long, ("numpy",))


def test_the_probe_sees_an_import():
    # the check above could not fail if the probe never saw anything
    assert "scipy.stats" in _loaded_after("import evaltools.judging as j, scipy.stats")
    assert {"altair", "evaltools.charts"} <= _loaded_after("import evaltools.charts")
    # the weight explorer's model is imported on first use of its names
    assert "evaltools.scoring.reweight" in _loaded_after(
        "from evaltools.scoring import reweight_model")


def test_z_values_are_scipys():
    from scipy.stats import norm

    from evaltools.ratings import Z_VALUES, z_value

    for confidence, z in Z_VALUES.items():
        assert z == float(norm.ppf(1.0 - (1.0 - confidence) / 2.0))
        assert z_value(confidence) == z
    assert z_value(0.975) == float(norm.ppf(1.0 - 0.025 / 2.0))


@pytest.mark.skipif(not __import__("importlib").util.find_spec("rfc3987_syntax"),
                    reason="rfc3987-syntax is not installed")
def test_iri_format_checks_still_work_after_deferral():
    code = ("import evaltools.charts, sys\n"
            "assert 'rfc3987_syntax' not in sys.modules\n"
            "from jsonschema import Draft202012Validator as V\n"
            "c = V.FORMAT_CHECKER\n"
            "assert c.conforms('https://例子.测试/路径', 'iri')\n"
            "assert not c.conforms('http://exa mple.com', 'iri')\n"
            "assert 'rfc3987_syntax' in sys.modules")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
