"""Rounds: every entry of a workload in its own process, in turn, ``rounds`` times.

With ``pin``, the servers are pinned to the first CPU and the clients to the second (when there
are two), so the two sides never share a core.  That steadies a quiet machine, but on a busy one
a pinned ping-pong waits for its core, so it is not the default.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from .nginx import Nginx, nginx_binary
from .server import PythonServer, pinned
from .workloads import Entry, Workload, metric, nginx_sizes


@dataclass
class Run:
    """One process's measurement (``status`` is "ok", "failed" or "unavailable")."""

    round: int
    status: str
    seconds: float | None = None
    metric: float | None = None
    maxrss_kib: int | None = None
    minflt_run: int | None = None
    cpu_run: float | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Results:
    workloads: list[Workload]
    runs: dict[str, dict[str, list[Run]]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # workload -> why it did not run
    meta: dict[str, Any] = field(default_factory=dict)

    def workload(self, name: str) -> Workload | None:
        return next((w for w in self.workloads if w.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "skipped": self.skipped,
            "workloads": [
                {**asdict(w), "runs": {label: [asdict(r) for r in runs]
                                       for label, runs in self.runs.get(w.name, {}).items()}}
                for w in self.workloads],
        }


def _cpus() -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, client CPUs), or no pinning on a single CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, {cpus[1]}


def run_entry(entry: Entry, workload: Workload, port: int, round_no: int, *, timeout: float,
              cpus: set[int] | None) -> Run:
    """Run one client process and judge its report."""
    cmd = [sys.executable, "-m", "benchmarks.clients", entry.client,
           f"http://127.0.0.1:{port}{entry.path}", "--count", str(entry.count)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=pinned(cpus), check=False)
    except subprocess.TimeoutExpired:
        return Run(round_no, "failed", message=f"timed out after {timeout:.0f} s")
    try:
        report = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Run(round_no, "failed", message=f"exit {proc.returncode}: {tail}")
    if "unavailable" in report:
        return Run(round_no, "unavailable", message=report["unavailable"])
    if "error" in report:
        return Run(round_no, "failed", message=report["error"],
                   extra={"traceback": report.get("traceback", "")})
    run = Run(round_no, "ok", report["seconds"], None, report["maxrss_kib"],
              report["minflt_run"], report.get("cpu_run"), extra=report.get("extra", {}))
    if report["amount"] != entry.expected:
        run.status = "failed"
        run.message = f"received {report['amount']} of {entry.expected}"
    else:
        run.metric = metric(workload.unit, entry, report["amount"], report["seconds"])
    return run


@contextlib.contextmanager
def servers(workloads: list[Workload], cpus: set[int] | None) -> Iterator[dict[str, Any]]:
    """Start the servers the workloads need: {"python": port, "nginx": port or reason}."""
    ports: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if any(w.server == "python" for w in workloads):
            ports["python"] = stack.enter_context(PythonServer(cpus)).port
        if any(w.server == "nginx" for w in workloads):
            binary = nginx_binary()
            if binary is None:
                ports["nginx"] = "not installed"
            else:
                try:
                    ports["nginx"] = stack.enter_context(
                        Nginx(binary, nginx_sizes(workloads), cpus)).port
                except RuntimeError as exc:
                    ports["nginx"] = f"did not start: {exc}"
        yield ports


def run_all(workloads: list[Workload], rounds: int, *, timeout: float, pin: bool,
            log: Callable[[str], None]) -> Results:
    server_cpus, client_cpus = _cpus() if pin else (None, None)
    results = Results(workloads, meta={"rounds": rounds, "cpus": os.cpu_count(),
                                       "server_cpus": sorted(server_cpus or []),
                                       "client_cpus": sorted(client_cpus or [])})
    with servers(workloads, server_cpus) as ports:
        for w in workloads:
            port = ports[w.server]
            if isinstance(port, str):
                results.skipped[w.name] = f"{w.server} {port}"
                log(f"{w.name}: skipped, {w.server} {port}")
                continue
            table = results.runs.setdefault(w.name, {e.label: [] for e in w.entries})
            for round_no in range(1, rounds + 1):
                line = []
                for e in w.entries:
                    if table[e.label] and table[e.label][0].status == "unavailable":
                        continue  # not available once is not available every round
                    run = run_entry(e, w, port, round_no, timeout=timeout, cpus=client_cpus)
                    table[e.label].append(run)
                    line.append(f"{e.label} {run.metric:.0f}" if run.metric is not None
                                else f"{e.label} {run.status}")
                log(f"{w.name} round {round_no}/{rounds}: " + ", ".join(line))
    return results
