"""Smoke test of the benchmark harness at tiny sizes (no timing assertions)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.__main__ import main
from benchmarks.harness import (
    CASES,
    Case,
    Impl,
    Target,
    evaluate_targets,
    format_table,
    peak_rss_mb,
    reset_peak,
    rss_mb,
    run_suite,
)


@pytest.fixture(scope="module")
def quick():
    return run_suite(quick=True, repeat=1, large=True, in_process=True, log=None)


def test_every_case_ran_with_every_impl(quick):
    names = {r["case"] for r in quick.records}
    assert names == set(CASES)
    for r in quick.records:
        case = CASES[r["case"]]
        assert list(r["impls"]) == [i.name for i in case.impls]
        for m in r["impls"].values():
            assert m["min_s"] <= m["median_s"] <= m["max_s"]
            assert m["repeats"] >= 1 and len(m["times_s"]) == m["repeats"]
            assert m["peak_rss_mb"] > 0


def test_results_agree_with_references(quick):
    # every comparable implementation reproduces its case's reference (numpy, scipy, polars)
    for r in quick.records:
        case = CASES[r["case"]]
        for impl in case.impls:
            d = r["impls"][impl.name]["max_abs_diff"]
            if impl.compare and case.compare is not None:
                assert d is not None and d <= 1e-12, (r["case"], impl.name, d)


def test_targets_have_a_status(quick):
    assert quick.targets
    for t in quick.targets:
        assert t["status"] in ("PASS", "FAIL", "N/A", "REPORT")
        assert not t["at_issue_size"]  # quick sizes are never the sizes
    text = format_table(quick.records, quick.targets)
    assert "PASS" in text and "weighted_sum" in text
    md = format_table(quick.records, quick.targets, markdown=True)
    assert md.startswith("| case |")


def _case(times: dict[str, float], diff: float = 0.0) -> tuple[Case, list[dict]]:
    case = Case(name="toy", title="toy", sizes=(10,), quick_sizes=(1,), setup=lambda n: n,
                impls=(Impl("evaltools", lambda d: d, role="subject"),
                       Impl("base", lambda d: d)),
                targets=(Target("ratio", "ratio", other="base", limit=0.5),
                         Target("speed", "speedup", other="base", limit=2.0),
                         Target("secs", "seconds", limit=1.0),
                         Target("diff", "diff", limit=1e-12),
                         Target("rss", "rss_input", limit=3.0),
                         Target("told", "ratio", other="base", limit=None)))
    rec = {"case": "toy", "size": 10, "input_mb": 100.0, "impls": {
        name: {"median_s": t, "peak_rss_mb": 500.0, "peak_over_idle_mb": 250.0,
               "max_abs_diff": diff} for name, t in times.items()}}
    return case, [rec]


def test_target_arithmetic():
    case, recs = _case({"evaltools": 0.4, "base": 1.0})
    got = {t["target"]: (t["value"], t["status"]) for t in evaluate_targets(case, recs)}
    assert got["ratio"] == (0.4, "PASS")
    assert got["speed"] == (2.5, "PASS")
    assert got["secs"] == (0.4, "PASS")
    assert got["diff"] == (0.0, "PASS")
    assert got["rss"] == (2.5, "PASS")
    assert got["told"] == (0.4, "REPORT")          # no limit: reported, never PASS or FAIL
    case, recs = _case({"evaltools": 0.6, "base": 1.0}, diff=1e-9)
    got = {t["target"]: t["status"] for t in evaluate_targets(case, recs)}
    assert got == {"ratio": "FAIL", "speed": "FAIL", "secs": "PASS", "diff": "FAIL",
                   "rss": "PASS", "told": "REPORT"}


def test_peak_rss_sees_native_memory():
    if not reset_peak():
        pytest.skip("the kernel does not allow resetting VmHWM")
    before = rss_mb()
    a = np.ones(64 * 1024 * 1024 // 8)  # 64 MB allocated by numpy (invisible to tracemalloc)
    del a
    assert peak_rss_mb() - before > 48


def test_cli_child_process_and_json(tmp_path):
    # the default path: one spawned child per (case, size), JSON written where asked
    out = tmp_path / "r.json"
    assert main(["--quick", "--case", "ranking", "--repeat", "1", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["options"]["cases"] == ["ranking"]
    assert data["environment"]["nproc"] >= 1
    assert data["records"][0]["impls"]["evaltools"]["max_abs_diff"] == 0.0
    assert {t["target"] for t in data["targets"]} == {
        "≤ 0.6× numpy.argsort", "identical to scipy rankdata(min)"}


@pytest.mark.parametrize("interleave", [False, True])
def test_interleaved_cases_time_in_rounds(monkeypatch, interleave):
    """An interleaved case runs every warm-up, then rounds of one run of each implementation;
    any other case runs all of one implementation before the next."""
    from benchmarks import harness

    calls: list[str] = []
    case = Case(name="toy-order", title="toy", sizes=(1,), quick_sizes=(1,), setup=lambda n: n,
                impls=(Impl("a", lambda d: calls.append("a")), Impl("b", lambda d: calls.append("b"))),
                interleave=interleave)
    monkeypatch.setitem(harness.CASES, case.name, case)
    monkeypatch.setattr(harness, "_load_cases", lambda: None)
    rec = harness.run_case_size(case.name, 1, repeat=3)
    expected = (["a", "b"] + ["a", "b"] * 3 if interleave
                else ["a"] + ["a"] * 3 + ["b"] + ["b"] * 3)
    assert calls == expected
    assert {name: (m["repeats"], len(m["times_s"])) for name, m in rec["impls"].items()} == {
        "a": (3, 3), "b": (3, 3)}
