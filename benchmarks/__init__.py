"""Loopback benchmarks for httpexplore (issues #8 and #15).

``python -m benchmarks.run`` starts its own servers (:mod:`benchmarks.server`, and nginx from
Debian's package when installed, :mod:`benchmarks.nginx`), runs every client of every workload
in its own process, round after round (A B C A B C ...), and prints medians, per-round ratios,
peak RSS, minor page faults and the issue's goals, each marked MET or NOT MET.

Modules: :mod:`~benchmarks.workloads` (what is measured), :mod:`~benchmarks.clients` (one process
per measurement), :mod:`~benchmarks.runner` (rounds), :mod:`~benchmarks.goals` and
:mod:`~benchmarks.report` (the table and the verdicts).
"""
