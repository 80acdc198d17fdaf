"""The Python peers, each used the way its documentation streams a body on one connection."""

from __future__ import annotations

import asyncio

from .common import READ_SIZE, ClientFailed, Outcome


def _check(status: int) -> None:
    if status != 200:
        raise ClientFailed(f"status {status}")


def run_httpx(host: str, port: int, path: str, count: int) -> Outcome:
    import httpx

    total = 0
    with httpx.Client(base_url=f"http://{host}:{port}") as client:
        for _ in range(count):
            with client.stream("GET", path) as r:
                _check(r.status_code)
                for chunk in r.iter_raw():
                    total += len(chunk)
    return Outcome(total)


def run_urllib3(host: str, port: int, path: str, count: int) -> Outcome:
    import urllib3

    total = 0
    with urllib3.HTTPConnectionPool(host, port, maxsize=1, retries=False) as pool:
        for _ in range(count):
            r = pool.request("GET", path, preload_content=False, decode_content=False)
            _check(r.status)
            for chunk in r.stream(READ_SIZE, decode_content=False):
                total += len(chunk)
            r.release_conn()
    return Outcome(total)


def run_urllib3_data(host: str, port: int, path: str, count: int) -> Outcome:
    """urllib3's default: the whole body read into ``r.data`` (kept, as the tutorial keeps it)."""
    import urllib3

    total = 0
    with urllib3.HTTPConnectionPool(host, port, maxsize=1, retries=False) as pool:
        for _ in range(count):
            r = pool.request("GET", path, decode_content=False)
            _check(r.status)
            total += len(r.data)
    return Outcome(total)


def run_requests(host: str, port: int, path: str, count: int) -> Outcome:
    import requests

    total = 0
    url = f"http://{host}:{port}{path}"
    with requests.Session() as session:
        for _ in range(count):
            with session.get(url, stream=True) as r:
                _check(r.status_code)
                for chunk in r.iter_content(READ_SIZE):
                    total += len(chunk)
    return Outcome(total)


async def _aiohttp(host: str, port: int, path: str, count: int) -> int:
    import aiohttp

    total = 0
    url = f"http://{host}:{port}{path}"
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        for _ in range(count):
            async with session.get(url) as r:
                _check(r.status)
                async for chunk in r.content.iter_chunked(READ_SIZE):
                    total += len(chunk)
    return total


def run_aiohttp(host: str, port: int, path: str, count: int) -> Outcome:
    return Outcome(asyncio.run(_aiohttp(host, port, path, count)))
