"""The evaltools benchmark suite (issue 4): ``python -m benchmarks`` or ``make bench``.

Cases live in :mod:`benchmarks.cases` (one module per capability); the harness in
:mod:`benchmarks.harness` runs each (case, size) in a fresh child process and reports median,
min–max, peak RSS, ratios to baselines measured in the same run, and PASS/FAIL per target.
See ``docs/performance.md``.
"""
