"""``python -m benchmarks.run [--smoke] [--rounds N] [--only WORKLOAD[,WORKLOAD]]``.

Starts the loopback servers, runs every workload round by round, prints the table and the
goals, and writes the results as JSON (``--out``, default in the system temp directory).  Exits
1 when a client run failed (crash, timeout or wrong byte count); goals do not change the exit
status: the benchmark reports them, it is not a timed test.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import goals, report, runner, workloads


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="small sizes, 1 round (for CI)")
    parser.add_argument("--rounds", type=int, help="rounds (default 7, smoke 1)")
    parser.add_argument("--only", help="comma-separated workload names (default: all)")
    parser.add_argument("--out", type=Path, help="results JSON (default: temp dir)")
    parser.add_argument("--timeout", type=float, help="seconds per client run")
    parser.add_argument("--pin", action="store_true",
                        help="pin the servers to the first CPU and the clients to the second "
                        "(steadier on a quiet machine; slower when other work competes)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)

    selected = workloads.build(args.smoke)
    if args.only:
        names = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = names - {w.name for w in selected}
        if unknown:
            parser.error(f"unknown workload(s) {sorted(unknown)}; "
                         f"choose from {[w.name for w in selected]}")
        selected = [w for w in selected if w.name in names]
    rounds = args.rounds or (1 if args.smoke else 7)
    timeout = args.timeout or (60.0 if args.smoke else 300.0)

    # SIGTERM unwinds like Ctrl-C, so the servers' context managers stop them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    results = runner.run_all(selected, rounds, timeout=timeout, pin=args.pin,
                             log=(lambda _: None) if args.quiet else _log)
    results.meta |= {"smoke": args.smoke, "seconds": round(time.monotonic() - started, 1)}
    verdicts = goals.evaluate(results)
    print(report.render(results, verdicts), flush=True)

    out = args.out or Path(tempfile.gettempdir()) / "httpexplore-bench" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    data = results.to_json() | {"goals": [g.__dict__ for g in verdicts]}
    out.write_text(json.dumps(data, indent=1))
    print(f"\nresults: {out} ({results.meta['seconds']} s)")
    return 1 if report.failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
