"""``python -m benchmarks.clients CLIENT URL [--count N] [--profile FILE]``: one measured run.

Prints one JSON object on stdout: the amount received (body bytes, or polls for idle clients),
seconds, peak RSS (``ru_maxrss``, KiB), minor page faults (``ru_minflt``, the whole process and
the measured part alone), or ``unavailable`` / ``error``.  Imports only what the client needs, so
peak RSS is the client's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import traceback
from typing import Any
from urllib.parse import urlsplit

from . import registry
from .common import ClientFailed, Outcome, Unavailable


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def measure(client: str, url: str, count: int, profile: str | None) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    report: dict[str, Any] = {"client": client, "url": url, "count": count}
    try:
        fn = registry.load(client)
    except Unavailable as exc:
        return report | {"unavailable": str(exc)}
    before = resource.getrusage(resource.RUSAGE_SELF)
    report["rss_before_kib"] = _rss_kib()
    try:
        start = time.perf_counter()
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            outcome: Outcome = profiler.runcall(fn, host, port, path, count)
            profiler.dump_stats(profile)
        else:
            outcome = fn(host, port, path, count)
        elapsed = time.perf_counter() - start
    except Unavailable as exc:
        return report | {"unavailable": str(exc)}
    except ClientFailed as exc:
        return report | {"error": str(exc)}
    except Exception as exc:
        return report | {"error": f"{type(exc).__name__}: {exc}",
                         "traceback": traceback.format_exc()}
    after = resource.getrusage(resource.RUSAGE_SELF)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN) if outcome.child_rusage else after
    report |= {
        "amount": outcome.amount,
        "seconds": outcome.seconds if outcome.seconds is not None else elapsed,
        "maxrss_kib": usage.ru_maxrss,
        "minflt": usage.ru_minflt,
        "minflt_run": usage.ru_minflt if outcome.child_rusage
        else after.ru_minflt - before.ru_minflt,
        # CPU seconds of the whole call (user + system): steadier than wall time on a busy box
        "cpu_run": usage.ru_utime + usage.ru_stime if outcome.child_rusage
        else after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "extra": outcome.extra,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clients", description=__doc__)
    parser.add_argument("client", choices=sorted(registry.CLIENTS))
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=1,
                        help="requests (or polls) on one connection")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the run")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.client, args.url, args.count, args.profile)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
