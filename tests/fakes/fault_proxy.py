"""A fault-injecting HTTP proxy in front of a real OpenAI-compatible server.

    with FaultProxy("http://127.0.0.1:8080", rate=0.3, seed=1) as proxy:
        ... --base-url proxy.url ...        # http://127.0.0.1:PORT/v1
        proxy.log                           # one Entry per request: its fault or the upstream status

A fraction ``rate`` of the chat calls (seeded) is not forwarded but answered with a fault:
``rate_limit`` (429, retry-after 0), ``server_error`` (502 with a JSON error), ``html`` (200
with an HTML page), ``cut_json`` (200 whose JSON body stops half-way) or ``drop`` (the
connection closed without an answer). Everything else goes to the upstream server as it is,
and its answer comes back as it is. The model list is never faulted.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("rate_limit", "server_error", "html", "cut_json", "drop")
# the kind the client records each fault under
RECORDED_AS = {"rate_limit": "rate_limit", "server_error": "server", "html": "malformed",
               "cut_json": "malformed", "drop": "connection"}


@dataclass(frozen=True, slots=True)
class Entry:
    method: str
    path: str
    fault: str | None  # None: forwarded
    status: int | None  # the upstream's status when forwarded


class FaultProxy:
    def __init__(self, upstream: str, *, rate: float = 0.3, seed: int = 0,
                 kinds: tuple[str, ...] = FAULTS, timeout: float = 600.0) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.rate, self.kinds, self.timeout = rate, kinds, timeout
        self.log: list[Entry] = []
        self._rng, self._lock = random.Random(seed), threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def draw(self, path: str) -> str | None:
        if not path.rstrip("/").endswith("/chat/completions"):
            return None
        with self._lock:
            return self._rng.choice(self.kinds) if self._rng.random() < self.rate else None

    def faults(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.log:
            if e.fault:
                counts[e.fault] = counts.get(e.fault, 0) + 1
        return counts

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self._forward(None)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            fault = proxy.draw(self.path)
            if fault is None:
                return self._forward(body)
            with proxy._lock:
                proxy.log.append(Entry("POST", self.path, fault, None))
            if fault == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if fault == "rate_limit":
                return self._send(429, b'{"error": {"message": "slow down"}}', "application/json",
                                  {"retry-after": "0"})
            if fault == "server_error":
                return self._send(502, b'{"error": {"message": "bad gateway"}}', "application/json")
            if fault == "html":
                return self._send(200, b"<html><body>maintenance</body></html>", "text/html")
            cut = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "{}"}}]})
            return self._send(200, cut[: len(cut) // 2].encode(), "application/json")

        def _forward(self, body: bytes | None) -> None:
            conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=proxy.timeout)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "content-length", "connection")}
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except OSError:
                self.close_connection = True
                return None
            finally:
                conn.close()
            with proxy._lock:
                proxy.log.append(Entry(self.command, self.path, None, answer.status))
            self._send(answer.status, data, answer.getheader("content-type", "application/json"))

        def _send(self, status: int, data: bytes, content_type: str,
                  headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    return Handler
