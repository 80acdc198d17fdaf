"""Benchmark clients, one process per run: ``python -m benchmarks.clients CLIENT URL``.

Each client module exposes ``run(host, port, path, count) -> Outcome``: ``count`` requests for
``path`` on one connection (or ``count`` idle polls), the body counted and dropped.
"""
