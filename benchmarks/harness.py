"""The benchmark harness: cases, measurement in a child process, targets, table and JSON.

Every (case, size) runs in a fresh ``spawn`` child process, so one case's memory never inflates
another's peak. In the child the input is built once; then, for each implementation in turn:

1. one warm-up run, whose output is compared with the reference implementation's output
   (max absolute difference, untimed);
2. the peak-RSS mark is reset (``/proc/self/clear_refs`` ← 5, which resets VmHWM on Linux);
3. ``repeat`` timed runs (``time.perf_counter``; ``gc.collect()`` before each, untimed);
4. the peak RSS of those runs is read from ``/proc/self/status`` (VmHWM). tracemalloc would miss
   polars' and numpy's native allocations, so it is not used.

Slow implementations (peers taking seconds) get fewer repeats: at most ``budget_s`` seconds of
measured runs, never fewer than one. The number of repeats actually run is recorded.

A case with ``interleave=True`` (the whole-command latency cases) runs every warm-up first, then
its timed runs in rounds — each implementation once per round — so a ratio such as ``evaluate`` /
the floor compares runs made under the same load; their peak RSS is the peak over all of them.

Ratios are always between implementations measured in the same run on the same input, so they
hold on a noisy shared machine; absolute seconds are reported too.
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CASES",
    "Case",
    "Impl",
    "Target",
    "environment",
    "evaluate_targets",
    "format_table",
    "register",
    "run_case_size",
    "run_suite",
]

MB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# Case description
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impl:
    """One implementation of a case.

    fn : called with the case's input; its return value is the output compared across impls.
    role : ``subject`` (evaltools), ``baseline`` (numpy/scipy/polars written by hand), ``floor``
        (a memory-bandwidth floor such as one ``np.sum``), ``peer`` (another library).
    compare : False when the output is not comparable (a floor, an argsort).
    """

    name: str
    fn: Callable[[Any], Any]
    role: str = "baseline"
    compare: bool = True


@dataclass(frozen=True)
class Target:
    """A target from the issue, evaluated on the record of the case's largest size.

    kind:
      ``ratio``    impl median / other median ≤ limit
      ``speedup``  other median / impl median ≥ limit
      ``seconds``  impl median ≤ limit
      ``rss_mb``   impl peak RSS (MB) ≤ limit
      ``rss_input`` impl peak RSS above the idle interpreter / input size ≤ limit
      ``diff``     impl max |output − reference| ≤ limit

    ``limit=None``: no target, the value is reported (status ``REPORT``), e.g. a ratio the
    issue names no target for.
    """

    label: str
    kind: str
    impl: str = "evaltools"
    other: str | None = None
    limit: float | None = 0.0
    size: int | None = None  # the size the issue names; None = the case's largest size


@dataclass(frozen=True)
class Case:
    """A benchmark case: how to build the input for a size, and the implementations to time."""

    name: str
    title: str
    sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    setup: Callable[[int], Any]
    impls: tuple[Impl, ...]
    reference: str | None = None
    compare: Callable[[Any, Any], float] | None = None
    targets: tuple[Target, ...] = ()
    input_bytes: Callable[[Any], int] | None = None
    teardown: Callable[[Any], None] | None = None
    size_label: str = "n"
    opt_in: bool = False  # only run with --large (or by --case NAME)
    notes: str = ""
    budget_s: float = 20.0
    #: time the implementations in turn within each repeat (a round of every one, then the next
    #: round) rather than all of one before the next: the ratios of whole-command cases then see
    #: the same load drift (a shared machine's load moves over a case's minute)
    interleave: bool = False
    #: what a timed run measures: ``wall`` (perf_counter around the call), ``child_cpu`` (user +
    #: sys CPU of the child processes the call ran and waited for: whole-command cases, steadier
    #: than wall time on a shared machine), ``reported`` (the call returns its own seconds, e.g.
    #: measured inside a fresh process)
    clock: str = "wall"


CASES: dict[str, Case] = {}


def register(case: Case) -> Case:
    """Add a case to the suite (later issues add theirs the same way, in their own module)."""
    if case.name in CASES:
        raise ValueError(f"duplicate benchmark case {case.name!r}")
    CASES[case.name] = case
    return case


def _load_cases() -> None:
    import benchmarks.cases  # noqa: F401  (registers every case)


# --------------------------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------------------------


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    kb = _status_kb("VmRSS")
    if kb is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kb / 1024


def peak_rss_mb() -> float:
    """Peak resident set size since start or since the last :func:`reset_peak` (MB)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kb / 1024


def reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Running one (case, size) — in a child process
# --------------------------------------------------------------------------------------------


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _timed(fn: Callable[[Any], Any], data: Any, clock: str = "wall") -> float:
    gc.collect()
    c0 = _children_cpu() if clock == "child_cpu" else 0.0
    t0 = time.perf_counter()
    out = fn(data)
    dt = time.perf_counter() - t0
    if clock == "child_cpu":
        dt = _children_cpu() - c0
    elif clock == "reported":
        dt = float(out)
    del out
    return dt


def _repeats(case: Case, repeat: int, warm_s: float) -> int:
    """``repeat``, or fewer when that many runs of ``warm_s`` seconds would pass the budget."""
    return max(1, min(repeat, int(case.budget_s / max(warm_s, 1e-9))))


def _timed_runs(case: Case, impls: Sequence[Impl], data: Any, repeat: int,
                rss_idle: float) -> dict[str, dict[str, Any]]:
    """``repeat`` timed rounds of ``impls`` (each round runs every implementation once, in turn)
    and the peak RSS over them: for one implementation, its own peak; for several (an
    interleaved case), the peak of them all."""
    gc.collect()
    before = rss_mb()
    reset_ok = reset_peak()
    times: dict[str, list[float]] = {impl.name: [] for impl in impls}
    for _ in range(repeat):
        for impl in impls:
            times[impl.name].append(_timed(impl.fn, data, case.clock))
    peak = peak_rss_mb()
    return {name: {
        "median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "times_s": ts,
        "repeats": repeat, "peak_rss_mb": peak, "peak_over_idle_mb": peak - rss_idle,
        "peak_over_start_mb": peak - before, "peak_reset": reset_ok,
    } for name, ts in times.items()}


def run_case_size(name: str, size: int, repeat: int) -> dict[str, Any]:
    """Measure every implementation of one case at one size (meant to run in a fresh process)."""
    warnings.simplefilter("ignore")
    _load_cases()
    case = CASES[name]
    gc.collect()
    rss_idle = rss_mb()
    t0 = time.perf_counter()
    data = case.setup(size)
    setup_s = time.perf_counter() - t0
    gc.collect()
    gc.freeze()  # long-lived objects (modules, the input) leave the collector: fast collects
    input_mb = case.input_bytes(data) / MB if case.input_bytes else None
    rss_input = rss_mb()
    record: dict[str, Any] = {
        "case": name, "size": size, "setup_s": setup_s, "input_mb": input_mb,
        "rss_idle_mb": rss_idle, "rss_with_input_mb": rss_input, "impls": {},
        "clock": case.clock, "loadavg": _loadavg(),
    }
    ref_out = None
    try:
        warm: dict[str, float] = {}
        for impl in case.impls:
            gc.collect()
            t0 = time.perf_counter()
            out = impl.fn(data)
            warm[impl.name] = time.perf_counter() - t0
            diff = None
            if impl.compare and case.compare is not None:
                if impl.name == case.reference:
                    ref_out = out
                    diff = 0.0
                elif ref_out is not None:
                    diff = float(case.compare(ref_out, out))
            del out
            record["impls"][impl.name] = {"role": impl.role, "warmup_s": warm[impl.name],
                                          "max_abs_diff": diff}
            if not case.interleave:
                record["impls"][impl.name].update(_timed_runs(
                    case, [impl], data, _repeats(case, repeat, warm[impl.name]),
                    rss_idle)[impl.name])
        if case.interleave:
            n_rep = _repeats(case, repeat, sum(warm.values()))
            for impl_name, m in _timed_runs(case, case.impls, data, n_rep, rss_idle).items():
                record["impls"][impl_name].update(m)
    finally:
        gc.unfreeze()
        if case.teardown is not None:
            case.teardown(data)
    return record


def _loadavg() -> list[float] | None:
    """The machine's 1, 5 and 15-minute load averages (recorded beside every figure)."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return None


def _child(name: str, size: int, repeat: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(run_case_size, (name, size, repeat))


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


def _target_value(t: Target, rec: dict[str, Any]) -> float | None:
    imps = rec["impls"]
    if t.impl not in imps:
        return None
    me = imps[t.impl]
    if t.kind == "ratio":
        return me["median_s"] / imps[t.other]["median_s"] if t.other in imps else None
    if t.kind == "speedup":
        return imps[t.other]["median_s"] / me["median_s"] if t.other in imps else None
    if t.kind == "seconds":
        return me["median_s"]
    if t.kind == "rss_mb":
        return me["peak_rss_mb"]
    if t.kind == "rss_input":
        return me["peak_over_idle_mb"] / rec["input_mb"] if rec.get("input_mb") else None
    if t.kind == "diff":
        return me["max_abs_diff"]
    raise ValueError(t.kind)


def evaluate_targets(case: Case, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """PASS/FAIL for each target on the record at the target's size (else the largest size)."""
    out = []
    for t in case.targets:
        recs = [r for r in records if r["case"] == case.name]
        if not recs:
            continue
        at = [r for r in recs if r["size"] == t.size] if t.size is not None else []
        rec = at[0] if at else max(recs, key=lambda r: r["size"])
        value = _target_value(t, rec)
        lower_is_better = t.kind != "speedup"
        if value is None or (isinstance(value, float) and math.isnan(value)):
            status = "N/A"
        elif t.limit is None:
            status = "REPORT"
        else:
            ok = value <= t.limit if lower_is_better else value >= t.limit
            status = "PASS" if ok else "FAIL"
        out.append({
            "case": case.name, "target": t.label, "kind": t.kind, "impl": t.impl,
            "other": t.other, "limit": t.limit, "value": value, "size": rec["size"],
            "at_issue_size": t.size is None or rec["size"] == t.size, "status": status,
        })
    return out


# --------------------------------------------------------------------------------------------
# Environment, table, suite
# --------------------------------------------------------------------------------------------

_ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "POLARS_MAX_THREADS", "NUMEXPR_NUM_THREADS", "NVPL_BLAS_DEBUG_CPU_TYPE")


def environment() -> dict[str, Any]:
    """The machine and library versions, recorded with every result."""
    import importlib.metadata as md

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for pkg in ("evaltools", "polars", "numpy", "scipy", "pymcdm", "scikit-criteria"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    try:
        import polars as pl

        polars_threads = pl.thread_pool_size()
    except Exception:  # pragma: no cover - polars is a dependency
        polars_threads = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_total_gb": mem_gb,
        "versions": versions,
        "polars_threads": polars_threads,
        "env": {k: os.environ.get(k) for k in _ENV_VARS},
    }


def _fmt_s(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def _fmt_size(n: int) -> str:
    for div, suf in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % (div // 10) == 0:
            v = n / div
            return f"{v:g}{suf}"
    return str(n)


def format_table(records: Sequence[dict[str, Any]], targets: Sequence[dict[str, Any]],
                 *, markdown: bool = False) -> str:
    """The results as a text (or Markdown) table, then the targets with PASS/FAIL."""
    head = ["case", "size", "impl", "median", "min–max", "× evaltools", "peak RSS MB",
            "max abs Δ"]
    rows = []
    for r in records:
        imps = r["impls"]
        subj = imps.get("evaltools")
        for name, m in imps.items():
            rel = (f"{m['median_s'] / subj['median_s']:.2f}" if subj and subj["median_s"] > 0
                   else "")
            diff = "" if m["max_abs_diff"] is None else f"{m['max_abs_diff']:.1e}"
            rows.append([r["case"], _fmt_size(r["size"]), name, _fmt_s(m["median_s"]),
                         f"{_fmt_s(m['min_s'])}–{_fmt_s(m['max_s'])}", rel,
                         f"{m['peak_rss_mb']:.0f}", diff])
    thead = ["case", "target", "size", "value", "status"]
    trows = []
    for t in targets:
        v = t["value"]
        if v is None:
            vs = "—"
        elif t["kind"] == "seconds":
            vs = _fmt_s(v)
        elif t["kind"] == "rss_mb":
            vs = f"{v:.0f} MB"
        elif t["kind"] == "diff":
            vs = f"{v:.1e}"
        else:
            vs = f"{v:.3g}×"
        size = _fmt_size(t["size"]) + ("" if t["at_issue_size"] else " (not the issue's size)")
        trows.append([t["case"], t["target"], size, vs, t["status"]])
    return _render(head, rows, markdown) + "\n\n" + _render(thead, trows, markdown)


def _render(head: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(_width(x) for x in col) for col in zip(head, *rows, strict=False)]
    out = []
    for r in [head, *rows]:
        out.append("  ".join(x + " " * (w - _width(x)) for x, w in zip(r, widths, strict=True)))
        if r is head:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


@dataclass
class SuiteResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "options": self.options,
                "records": self.records, "targets": self.targets}


def select_cases(names: Sequence[str] | None, *, large: bool) -> list[Case]:
    """The cases to run: the named ones, else every case that is not opt-in (all with large)."""
    _load_cases()
    if names:
        unknown = [n for n in names if n not in CASES]
        if unknown:
            raise SystemExit(f"unknown case(s) {unknown}; known: {sorted(CASES)}")
        return [CASES[n] for n in names]
    return [c for c in CASES.values() if large or not c.opt_in]


def run_suite(*, cases: Sequence[str] | None = None, quick: bool = False, repeat: int = 5,
              large: bool = False, in_process: bool = False,
              log: Callable[[str], None] | None = print) -> SuiteResult:
    """Run the selected cases and evaluate their targets.

    in_process : measure in this process instead of a spawned child per (case, size): faster
        to start (used by the smoke test), but peak RSS then includes earlier cases.
    """
    chosen = select_cases(cases, large=large)
    res = SuiteResult(environment=environment(),
                      options={"quick": quick, "repeat": repeat, "large": large,
                               "cases": [c.name for c in chosen], "in_process": in_process})
    for case in chosen:
        sizes = case.quick_sizes if quick else case.sizes
        case_records = []
        for size in sizes:
            if log:
                log(f"… {case.name} {case.size_label}={_fmt_size(size)}")
            t0 = time.perf_counter()
            rec = (run_case_size(case.name, size, repeat) if in_process
                   else _child(case.name, size, repeat))
            rec["wall_s"] = time.perf_counter() - t0
            case_records.append(rec)
        res.records += case_records
        res.targets += evaluate_targets(case, case_records)
    return res


def write_json(result: SuiteResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def python_info() -> str:
    return f"{sys.executable} {platform.python_version()}"
