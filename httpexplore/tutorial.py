"""Godot's "HTTP client class" tutorial script, transliterated to Python.

Run it with ``python -m httpexplore.tutorial [URL]``.  Without a URL it starts the embedded demo
server and fetches its ``/ChangeLog-5.php`` page (chunked, like the page the tutorial used), so it
works offline.  The steps and prints are the tutorial's, in the same order: "Connecting...",
"Requesting...", ``response? True``, ``code: 200``, the headers, chunked or length,
``bytes got: N`` and the text.  The waits (``OS.delay_msec(500)``) are kept but configurable.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

from . import OK, HTTPClient, TLSOptions

__all__ = ["main", "run"]


def run(host: str, port: int, path: str, *, tls: TLSOptions | None = None,
        delay: float = 0.5, body_delay: float = 0.001) -> int:
    """Run the tutorial against ``host:port`` and return a process exit status (0 = done)."""
    http = HTTPClient()  # Create the Client.

    err = http.connect_to_host(host, port, tls)  # Connect to host/port.
    assert err == OK, http.error_message  # Make sure connection is OK.

    # Wait until resolved and connected.
    while http.get_status() in (HTTPClient.STATUS_CONNECTING, HTTPClient.STATUS_RESOLVING):
        http.poll()
        print("Connecting...")
        time.sleep(delay)

    if http.get_status() != HTTPClient.STATUS_CONNECTED:  # Check the connection was made.
        print(f"Could not connect: {http.get_status().name}: {http.error_message}")
        return 1

    # Some headers
    headers = [
        "User-Agent: Pirulo/1.0 (Godot)",
        "Accept: */*",
    ]

    err = http.request(HTTPClient.METHOD_GET, path, headers)  # Request a page from the site.
    assert err == OK, http.error_message  # Make sure all is OK.

    while http.get_status() == HTTPClient.STATUS_REQUESTING:
        # Keep polling for as long as the request is being processed.
        http.poll()
        print("Requesting...")
        time.sleep(delay)

    if http.get_status() not in (HTTPClient.STATUS_BODY, HTTPClient.STATUS_CONNECTED,
                                 HTTPClient.STATUS_DISCONNECTED):
        print(f"Request failed: {http.get_status().name}: {http.error_message}")
        return 1

    print("response? ", http.has_response())  # Site might not have a response.

    if http.has_response():
        # If there is a response...
        response_headers = http.get_response_headers_as_dictionary()  # Get response headers.
        print("code: ", http.get_response_code())  # Show response code.
        print("**headers:\\n", response_headers)  # Show headers.
        # The tutorial's string has a doubled backslash: Godot prints a backslash and an "n",
        # not a line break, and so does Python.  Say so, or the line looks like a bug.
        print(r'   (the "\n" above is in the tutorial too: its "\\n" prints a backslash and '
              'an n, not a line break)')

        # Getting the HTTP Body
        if http.is_response_chunked():
            print("Response is Chunked!")  # Does it use chunks?
        else:
            bl = http.get_response_body_length()  # Or just plain Content-Length
            print("Response Length: ", bl)

        # This method works for both anyway
        rb = bytearray()  # Array that will hold the data.
        while http.get_status() == HTTPClient.STATUS_BODY:
            # While there is body left to be read
            http.poll()
            chunk = http.read_response_body_chunk()  # Get a chunk.
            if len(chunk) == 0:
                time.sleep(body_delay)  # Got nothing, wait for buffers to fill a bit.
            else:
                rb += chunk  # Append to read buffer.
        # Done!
        if http.get_status() not in (HTTPClient.STATUS_CONNECTED,
                                     HTTPClient.STATUS_DISCONNECTED):
            print(f"Body failed: {http.get_status().name}: {http.error_message}")
            return 1

        print("bytes got: ", len(rb))
        text = rb.decode("ascii", errors="replace")
        print("Text: ", text)
    http.close()
    return 0


@contextlib.contextmanager
def _target(url: str | None) -> Iterator[tuple[str, int, str, TLSOptions | None]]:
    if url is None:
        from .demo import DemoServer

        with DemoServer() as srv:
            yield srv.host, srv.port, "/ChangeLog-5.php", None
        return
    parts = urlsplit(url if "://" in url else f"http://{url}")
    tls = TLSOptions.client() if parts.scheme == "https" else None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    yield parts.hostname or "", parts.port or -1, path, tls


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``python -m httpexplore.tutorial [URL] [--delay S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m httpexplore.tutorial",
        description="Godot's HTTP client tutorial, step by step. Without URL: the embedded "
                    "demo server's /ChangeLog-5.php.")
    parser.add_argument("url", nargs="?", help="http(s)://host[:port]/path")
    parser.add_argument("--delay", type=float, default=0.5,
                        help="seconds to wait between polls while connecting and requesting "
                             "(the tutorial's OS.delay_msec(500)); default 0.5")
    args = parser.parse_args(argv)
    with _target(args.url) as (host, port, path, tls):
        return run(host, port, path, tls=tls, delay=args.delay)


if __name__ == "__main__":
    sys.exit(main())
