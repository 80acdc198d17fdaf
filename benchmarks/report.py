"""The printed report: one table per workload, then every goal marked MET or NOT MET."""

from __future__ import annotations

import statistics

from .goals import GoalLine
from .runner import Results, Run
from .workloads import Workload


def _round_ratios(w: Workload, runs: list[Run], ref: list[Run]) -> list[float | None]:
    by_round = {r.round: r.metric for r in ref if r.metric is not None}
    out: list[float | None] = []
    for run in runs:
        base = by_round.get(run.round)
        out.append(run.metric / base if run.metric is not None and base else None)
    return out


def _fmt_metric(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _row(w: Workload, label: str, runs: list[Run], ref: list[Run]) -> str:
    if runs and runs[0].status == "unavailable":
        return f"  {label:<24} not available: {runs[0].message}"
    ok = [r for r in runs if r.metric is not None]
    failed = [r for r in runs if r.status == "failed"]
    note = f"  FAILED in {len(failed)} round(s): {failed[0].message}" if failed else ""
    if not ok:
        return f"  {label:<24} {'-':>9}{note}"
    median = statistics.median(r.metric for r in ok if r.metric is not None)
    ratios = _round_ratios(w, runs, ref)
    good = [x for x in ratios if x is not None]
    ratio = f"{statistics.median(good):.2f}" if good else "-"
    rounds = " ".join(f"{x:.2f}" if x is not None else "  - " for x in ratios)
    rss = statistics.median((r.maxrss_kib or 0) / 1024 for r in ok)
    flt = statistics.median(r.minflt_run or 0 for r in ok)
    return (f"  {label:<24} {_fmt_metric(median):>9} {ratio:>6}  {rss:7.1f} {flt:>8,.0f}  "
            f"{rounds}{note}")


def workload_table(results: Results, w: Workload) -> list[str]:
    better = "lower is better" if w.unit == "ns/poll" else "higher is better"
    lines = [f"{w.name} — {w.title} — {w.server} server — {w.unit}, {better}; "
             f"ratios vs {w.reference}"]
    if w.name in results.skipped:
        return lines + [f"  {e.label:<24} {results.skipped[w.name]}" for e in w.entries]
    runs = results.runs.get(w.name, {})
    ref = runs.get(w.reference, [])
    lines.append(f"  {'client':<24} {'median':>9} {'ratio':>6}  "
                 f"{'RSS MiB':>7} {'minflt':>8}  per-round ratios")
    lines += [_row(w, e.label, runs.get(e.label, []), ref) for e in w.entries]
    return lines


def goal_lines(goals: list[GoalLine]) -> list[str]:
    lines = ["The goal lines judge 'httpexplore', the busy-polling tutorial loop with the recorder "
             "on (goal 3: its body-keeping twin, 'httpexplore-keep')",
             "GOALS (issue #15: 1–5; issue #8: 6–8; median of per-round ratios within this run)"]
    for g in goals:
        mark = "[MET]    " if g.met else "[NOT MET]"
        lines.append(f"  {mark} {g.number}. {g.text}: {g.figure}")
    met = sum(g.met for g in goals)
    lines.append(f"  {met} of {len(goals)} goal lines met")
    return lines


def failures(results: Results) -> list[str]:
    """One line per failed run (a crash, a timeout or a wrong byte count)."""
    return [f"{w}: {label} round {r.round}: {r.message}"
            for w, table in results.runs.items() for label, runs in table.items()
            for r in runs if r.status == "failed"]


def render(results: Results, goals: list[GoalLine]) -> str:
    meta = results.meta
    lines = [f"httpexplore benchmark — {meta.get('rounds')} rounds, each client in its own "
             f"process, A B C A B C …; {meta.get('cpus')} CPUs, servers on "
             f"{meta.get('server_cpus') or 'any'}, clients on {meta.get('client_cpus') or 'any'}",
             "RSS = median peak RSS of the client process; minflt = median minor page faults "
             "during the measured part", ""]
    for w in results.workloads:
        lines += [*workload_table(results, w), ""]
    lines += goal_lines(goals)
    failed = failures(results)
    lines += ["", f"client failures: {len(failed)}", *(f"  {f}" for f in failed)]
    return "\n".join(lines)
