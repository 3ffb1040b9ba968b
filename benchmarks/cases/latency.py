"""Where people wait (issue 17): whole commands on the sample district, the explorer's first switch.

``street_office`` — every implementation is a fresh Python process (``sys.executable``, this
checkout first on ``PYTHONPATH``, run from the repository root), timed by its CPU time (user +
sys of the child, ``clock="child_cpu"``: steadier than wall time on a shared 2-core machine;
polars' threads count too, in the floor as in evaltools):

- ``floor``: a process that imports polars and reads the sample's CSV files;
- ``evaluate`` / ``validate``: ``python -m evaltools.cli <command> data/sample``;
- ``publish``: the issue's set of files, ``publish data/sample --formats
  html,xlsx,csv,png,svg,poster`` (HTML, Excel, CSV, PNG/SVG, poster) into a temporary folder —
  the target ≤ 5× the floor;
- ``publish, all``: everything publish writes by default, the same plus the A4 PDF (WeasyPrint)
  and the Word notice; its ratio is reported, with no target (issue 17 predates the PDF and
  Word files; laying out 12 A4 pages of tables and vector charts is not a ≤ 5× job);
- ``import polars`` / ``import evaltools``.

The processes are timed interleaved (``interleave=True``: floor, evaluate, validate, … one after
another in each repeat), so every ratio compares runs made under the same load.

Before timing, the package's bytecode is compiled (``compileall``), as an installed package's
is; the environment's ``PYTHONDONTWRITEBYTECODE`` would otherwise make every process recompile
evaltools' sources.

``explorer_topsis`` — a fresh process with an EMPTY numba cache (``NUMBA_CACHE_DIR`` set to a new
folder) builds the weight explorer on n units (the ``evaluate`` case's dataset, charts off) and
reports the seconds of one switch of the method dropdown to TOPSIS. ``kernels forced`` is the
same with ``evaltools.mcda.COMPILED_MIN_CELLS = 0`` (the compiled kernels at every size, as before
issue 17: numba imported and the kernels compiled on that first switch).
"""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import Case, Impl, Target, register

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"

FLOOR = ("import glob, polars as pl\n"
         f"frames = [pl.read_csv(f) for f in sorted(glob.glob({str(SAMPLE / '*.csv')!r}))]")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def run_python(args: list[str], **extra: str) -> str:
    """Standard output of a fresh ``python ARGS`` run from the checkout (this checkout first on
    ``PYTHONPATH``; ``extra``: more environment variables)."""
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(**extra), check=True,
                          capture_output=True, text=True).stdout


def run_seconds(code: str, **extra: str) -> float:
    """A fresh ``python -c CODE`` whose last line of output is a number of seconds it measured
    itself (the explorer's switch, the charts' drawing)."""
    return float(run_python(["-c", code], **extra).strip().splitlines()[-1])


#: the files issue 17 names for its publish target (PDF and Word came later)
ISSUE_FORMATS = "html,xlsx,csv,png,svg,poster"


def setup_commands(_size: int) -> dict[str, str]:
    compileall.compile_dir(str(ROOT / "evaltools"), quiet=1)
    return {"out": tempfile.mkdtemp(prefix="evaltools-bench-publish-")}


def _cli(*args: str):
    return lambda d: run_python(["-m", "evaltools.cli", *args])


register(Case(
    name="street_office",
    title="commands on the sample district (60 units), whole processes, CPU time",
    # the size is the sample's 60 units; the smoke run (--quick) runs the same commands, recorded
    # as size 0 so that its figures are never read as the issue's
    sizes=(60,), quick_sizes=(0,), setup=setup_commands,
    impls=(
        Impl("floor", lambda d: run_python(["-c", FLOOR]), role="floor", compare=False),
        Impl("evaluate", _cli("evaluate", str(SAMPLE)), role="subject", compare=False),
        Impl("validate", _cli("validate", str(SAMPLE)), role="subject", compare=False),
        Impl("publish", lambda d: run_python(["-m", "evaltools.cli", "publish", str(SAMPLE),
                                        "--out", d["out"], "--formats", ISSUE_FORMATS]),
             role="subject", compare=False),
        Impl("publish, all", lambda d: run_python(["-m", "evaltools.cli", "publish", str(SAMPLE),
                                             "--out", d["out"]]), role="subject", compare=False),
        Impl("import polars", lambda d: run_python(["-c", "import polars"]), role="baseline",
             compare=False),
        Impl("import evaltools", lambda d: run_python(["-c", "import evaltools"]), role="subject",
             compare=False),
    ),
    targets=(
        Target("evaluate ≤ 2× the floor", "ratio", impl="evaluate", other="floor", limit=2.0, size=60),
        Target("validate ≤ 1.5× the floor", "ratio", impl="validate", other="floor", limit=1.5, size=60),
        Target("publish (html,xlsx,csv,png,svg,poster) ≤ 5× the floor", "ratio", impl="publish",
               other="floor", limit=5.0, size=60),
        Target("publish, all (with PDF and Word) / the floor: reported, no target", "ratio",
               impl="publish, all", other="floor", limit=None, size=60),
        Target("import evaltools ≤ 1.3× import polars", "ratio", impl="import evaltools",
               other="import polars", limit=1.3, size=60),
    ),
    teardown=lambda d: shutil.rmtree(d["out"], ignore_errors=True),
    size_label="units", clock="child_cpu", budget_s=60.0, interleave=True,
))


SWITCH = """
import time, sys
import evaltools.mcda as mcda
{force}
from benchmarks.cases.evaluate import make_dataset
from evaltools import evaluate
from evaltools.widgets import WeightExplorer
ex = WeightExplorer(evaluate(make_dataset({n})), top=10, charts=False)
ex.defer_charts = False
t0 = time.perf_counter()
ex.method.value = "topsis"
dt = time.perf_counter() - t0
assert ex.board.rubric.method == "topsis"
print(dt)
"""


def _switch(n: int, forced: bool) -> float:
    force = "mcda.COMPILED_MIN_CELLS = 0" if forced else ""
    with tempfile.TemporaryDirectory(prefix="numba-empty-") as cache:
        return run_seconds(SWITCH.format(n=n, force=force), NUMBA_CACHE_DIR=cache)


register(Case(
    name="explorer_topsis",
    title="weight explorer: first switch to TOPSIS in a fresh process, empty numba cache",
    sizes=(1_000,), quick_sizes=(100,), setup=lambda n: n,
    impls=(
        Impl("evaltools", lambda n: _switch(n, False), role="subject", compare=False),
        Impl("kernels forced", lambda n: _switch(n, True), role="baseline", compare=False),
    ),
    targets=(Target("under 300 ms at 1,000 units", "seconds", limit=0.3, size=1_000),),
    size_label="units", clock="reported", budget_s=60.0,
))
