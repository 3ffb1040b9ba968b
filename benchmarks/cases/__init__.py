"""Benchmark cases, one module per capability; importing this package registers them all.

Adding a case (robustness, KPI, campaign, widget update …): write ``benchmarks/cases/<name>.py``
that builds its input deterministically in ``setup(size)``, lists its implementations
(``Impl``: evaltools as ``role="subject"`` named ``"evaltools"``, hand-written baselines, peers)
and its targets (``Target``), calls :func:`benchmarks.harness.register`, and add its import below.
Cases longer than about two minutes set ``opt_in=True`` (run with ``--large``).
"""

from benchmarks.cases import (  # noqa: F401
    campaign,
    charts,
    evaluate,
    kpi,
    latency,
    mcda,
    out_of_core,
    ranking,
    ratings,
    robustness,
    widgets,
)
