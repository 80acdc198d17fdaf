"""Client names and where their run functions live (imported only when that client runs)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .common import Outcome, Unavailable

RunFn = Callable[[str, int, str, int], Outcome]

#: name -> (module in this package, function, what it is)
CLIENTS: dict[str, tuple[str, str, str]] = {
    "raw": ("raw", "run", "blocking socket, recv_into one 256 KiB buffer (the limit)"),
    "raw-keep": ("raw", "run_keep", "blocking socket, recv(65536), body += chunk: the ceiling "
                 "of any loop keeping the body in 64 KiB appends"),
    "curl": ("curl", "run", "curl -o /dev/null, all URLs on one connection"),
    "h11": ("h11loop", "run", "minimal h11 loop, blocking recv(65536)"),
    "httpexplore": ("explore", "run", "HTTPClient tutorial loop, busy poll, recorder on"),
    "httpexplore-blocking": ("explore", "run_blocking", "tutorial loop, blocking_mode_enabled"),
    "httpexplore-wait": ("explore", "run_wait", "tutorial loop, select.poll on fileno() after "
                         "a poll that found nothing"),
    "httpexplore-h11heads": ("explore", "run_h11heads", "tutorial loop, common-head reader "
                             "off (h11 reads every head): the A/B of issue #15"),
    "httpexplore-norec": ("explore", "run_norec", "tutorial loop, HTTPClient(record=False)"),
    "httpexplore-keep": ("explore", "run_keep", "tutorial loop keeping the body (body += chunk), "
                         "default read_chunk_size"),
    "httpexplore-inspector": ("autopoll", "run", "Inspector auto-poll, recording comm"),
    "httpx": ("peers", "run_httpx", "httpx.Client().stream(), iter_raw()"),
    "urllib3": ("peers", "run_urllib3", "HTTPConnectionPool, stream(65536)"),
    "urllib3-data": ("peers", "run_urllib3_data", "HTTPConnectionPool.request(), r.data "
                     "(whole body, urllib3's default)"),
    "requests": ("peers", "run_requests", "Session.get(stream=True), iter_content(65536)"),
    "aiohttp": ("peers", "run_aiohttp", "ClientSession, content.iter_chunked(65536)"),
    "recv": ("idle", "run_recv", "bare failed non-blocking sock.recv(65536)"),
    "epoll": ("idle", "run_epoll", "epoll.poll(0) on the idle socket"),
    "poll-waiting": ("idle", "run_waiting", "HTTPClient.poll() in REQUESTING, no answer yet"),
    "poll-waiting-norec": ("idle", "run_waiting_norec", "the same, HTTPClient(record=False)"),
    "poll-connected": ("idle", "run_connected", "HTTPClient.poll() on an idle keep-alive"),
}



def _needs(name: str) -> tuple[str, ...]:
    """Modules a client imports, loaded before the clock starts; missing means "not available"."""
    if name in ("httpx", "urllib3", "requests", "aiohttp"):
        return (name,)
    if name == "urllib3-data":
        return ("urllib3",)
    if name == "httpexplore-inspector":
        return ("httpexplore", "httpexplore.inspector")
    if name.startswith(("httpexplore", "poll-")):
        return ("httpexplore",)
    return ()


def load(name: str) -> RunFn:
    """The run function of client ``name``, its imports done; :class:`Unavailable` if it can't."""
    module_name, function, _ = CLIENTS[name]
    for needed in _needs(name):
        try:
            importlib.import_module(needed)
        except ImportError as exc:
            raise Unavailable(f"{needed} is not importable ({exc})") from exc
    module = importlib.import_module(f"{__package__}.{module_name}")
    fn: RunFn = getattr(module, function)
    return fn
