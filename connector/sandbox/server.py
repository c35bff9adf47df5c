"""Serve sandbox WSGI apps on loopback, each in its own thread-per-request HTTP server.

Threaded on purpose: the Netvisor sandbox must *see* overlapping requests to refuse them, and the
Spotilla client may fetch pages concurrently. An app can raise :class:`DropConnection` to make the
server close the socket without answering — the "connection dropped" fault (before or after the
sandbox committed, as the app decides).
"""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

WSGIApp = Callable[..., Any]

#: environ key: time.monotonic() when the request line arrived on the socket
ARRIVED = "connector.sandbox.arrived"


class DropConnection(Exception):
    """Raised by a sandbox app: close the connection without sending any answer."""


class _Handler(ServerHandler):
    http_version = "1.1"

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DropConnection):
            with suppress(OSError):
                self.request_handler.connection.shutdown(socket.SHUT_RDWR)
            self.request_handler.close_connection = True
            return
        super().handle_error()

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        if "Content-Length" not in self.headers:
            # No length: the body ends when the connection does; say so.
            self.headers["Connection"] = "close"
            self.request_handler.close_connection = True

    def close(self) -> None:
        if self.status is None:  # dropped: nothing was sent, nothing to log
            SimpleHandler.close(self)
            return
        super().close()

    def log_exception(self, exc_info: Any) -> None:  # quiet: faults are injected on purpose
        if not isinstance(exc_info[1], DropConnection):
            super().log_exception(exc_info)


class _RequestHandler(WSGIRequestHandler):
    # Keep-alive, as real services offer: a client reuses its connection between requests.
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # wsgiref writes headers and body separately; without NODELAY, Nagle's algorithm and
        # the peer's delayed ACK add ~40 ms to every answer on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the sandbox is quiet; tests and the demo print what matters

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self) -> None:
        # As WSGIRequestHandler.handle, with our ServerHandler (DropConnection support).
        self.raw_requestline = self.rfile.readline(65537)
        arrived = time.monotonic()
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        environ = self.get_environ()
        environ[ARRIVED] = arrived  # for response-time faults: measured from here
        # Read the whole body first, so a request the app answers without reading it cannot
        # leave bytes behind on a kept-alive connection.
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
        handler = _Handler(
            environ["wsgi.input"], self.wfile, self.get_stderr(), environ, multithread=True
        )
        handler.request_handler = self
        handler.run(self.server.get_app())


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class RunningServer:
    """A WSGI app served on loopback in a background thread."""

    name: str
    url: str
    _server: WSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(app: WSGIApp, *, name: str, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start serving ``app`` on ``host:port`` (0 = a free port) in a daemon thread."""
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_RequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{name}", daemon=True)
    thread.start()
    url = f"http://{host}:{server.server_address[1]}"
    return RunningServer(name=name, url=url, _server=server, _thread=thread)


@contextmanager
def serving(app: WSGIApp, *, name: str, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Context manager form of :func:`serve`; yields the base URL."""
    running = serve(app, name=name, host=host, port=port)
    try:
        yield running.url
    finally:
        running.stop()
