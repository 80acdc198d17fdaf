"""What is measured: the issue's workloads, at full size or at the smoke mode's small sizes."""

from __future__ import annotations

from dataclasses import dataclass

from .server import SMALL_BODY_SIZE

MiB = 1 << 20

#: The clients run on every download workload, in this order each round (A B C A B C ...).
MAIN_CLIENTS = ("raw", "curl", "h11", "httpexplore", "httpexplore-norec", "httpexplore-blocking",
                "httpexplore-wait", "httpx", "urllib3", "requests", "aiohttp")
#: Our client's other modes: not run against nginx (the goals judge them on the Python server).
EXPLORE_MODES = ("httpexplore-norec", "httpexplore-blocking", "httpexplore-wait")
#: The Python libraries the goals call "Python peers".
PYTHON_PEERS = ("httpx", "urllib3", "requests", "aiohttp")


@dataclass(frozen=True)
class Entry:
    """One row: a client asking ``count`` times for ``path`` on one connection."""

    label: str
    client: str
    path: str
    count: int
    expected: int  # body bytes for downloads, polls for idle rows


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    server: str  # "python" or "nginx"
    unit: str  # "MiB/s", "req/s" or "ns/poll"
    reference: str  # the label the ratios are taken against
    entries: tuple[Entry, ...]

    def entry(self, label: str) -> Entry:
        return next(e for e in self.entries if e.label == label)


def _download(name: str, title: str, path: str, size: int, clients: tuple[str, ...],
              *, count: int = 1, server: str = "python", unit: str = "MiB/s") -> Workload:
    entries = tuple(Entry(c, c, path, count, size * count) for c in clients)
    return Workload(name, title, server, unit, "raw", entries)


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n // 1024} KiB"


def build(smoke: bool) -> list[Workload]:
    """All workloads, at full size or (``smoke``) small enough to run in CI in seconds."""
    big = 2 * MiB if smoke else 256 * MiB
    ka_size, ka_count = (64 * 1024, 16) if smoke else (MiB, 256)
    small_count = 200 if smoke else 10_000
    polls = 20_000 if smoke else 1_000_000
    lin_small, lin_big = (MiB, 4 * MiB) if smoke else (16 * MiB, 64 * MiB)
    cl_clients = (*MAIN_CLIENTS, "httpexplore-keep", "raw-keep", "urllib3-data")
    nginx_clients = tuple(c for c in MAIN_CLIENTS if c not in EXPLORE_MODES)

    workloads = [
        _download("cl", f"{_size(big)} Content-Length", f"/cl/{big}", big, cl_clients),
        _download("chunked16k", f"{_size(big)} chunked, 16 KiB frames",
                  f"/chunked/{big}/16384", big, MAIN_CLIENTS),
        _download("chunked64k", f"{_size(big)} chunked, 64 KiB frames",
                  f"/chunked/{big}/65536", big, MAIN_CLIENTS),
        _download("keepalive", f"{_size(ka_size)} × {ka_count} on one connection",
                  f"/cl/{ka_size}", ka_size, MAIN_CLIENTS, count=ka_count),
        _download("small", f"{small_count:,} requests for {SMALL_BODY_SIZE} B on one connection",
                  "/small", SMALL_BODY_SIZE, (*MAIN_CLIENTS, "httpexplore-h11heads"),
                  count=small_count, unit="req/s"),
        Workload("idle", f"idle cost, {polls:,} calls finding nothing", "python", "ns/poll",
                 "recv", tuple(Entry(c, c, "/hang", polls, polls) for c in (
                     "recv", "epoll", "poll-waiting", "poll-waiting-norec", "poll-connected"))),
        Workload("linear", f"linearity, {_size(lin_small)} vs {_size(lin_big)} Content-Length",
                 "python", "MiB/s", f"raw {_size(lin_big)}", tuple(
                     Entry(f"{c} {_size(n)}", c, f"/cl/{n}", 1, n)
                     for c in ("raw", "h11", "httpexplore") for n in (lin_small, lin_big))),
        Workload("inspector", f"inspector auto-poll, {_size(lin_big)} Content-Length", "python",
                 "MiB/s", "httpexplore", tuple(
                     Entry(c, c, f"/cl/{lin_big}", 1, lin_big)
                     for c in ("httpexplore", "httpexplore-inspector"))),
        _download("cl@nginx", f"{_size(big)} Content-Length", f"/cl/{big}", big,
                  nginx_clients, server="nginx"),
        _download("keepalive@nginx", f"{_size(ka_size)} × {ka_count} on one connection",
                  f"/cl/{ka_size}", ka_size, nginx_clients, count=ka_count, server="nginx"),
        _download("small@nginx", f"{small_count:,} requests for {SMALL_BODY_SIZE} B",
                  "/small", SMALL_BODY_SIZE, nginx_clients, count=small_count,
                  server="nginx", unit="req/s"),
    ]
    return workloads


def nginx_sizes(workloads: list[Workload]) -> set[int]:
    """The ``/cl/<bytes>`` files nginx must serve."""
    return {int(e.path.split("/")[2]) for w in workloads if w.server == "nginx"
            for e in w.entries if e.path.startswith("/cl/")}


def metric(unit: str, entry: Entry, amount: int, seconds: float) -> float:
    """A run's figure in ``unit``: MiB/s and req/s higher is better, ns/poll lower."""
    if unit == "MiB/s":
        return amount / seconds / MiB
    if unit == "req/s":
        return entry.count / seconds
    return seconds / amount * 1e9
