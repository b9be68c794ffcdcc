"""A real HTTP server on 127.0.0.1 that speaks OpenAI chat completions, scripted by a test.

    with ScriptedServer(lambda body: '{"answer": 4}', latency=0.05) as server:
        client = openai.OpenAI(base_url=server.url, api_key="x")

Replies come from a queue (``push``) and then from a responder ``body -> Reply | str``. Faults
are injected per request (``Faults(rate=0.3)`` or a fixed sequence): 429, 500, a response that
arrives after the client's timeout, malformed JSON, truncated output (finish_reason "length"),
valid JSON that breaks the schema, and empty content. ``supports`` lists the response_format
types the server accepts; others get HTTP 400 (or ``refusal``'s status and message: llama.cpp's
server answers 500), as a server without structured output answers; ``refuses`` names request
fields it rejects. A ``Reply`` can also be an HTML page, an error echoing the Authorization
header, or a dropped connection.
Every request and what was done with it is kept in ``server.log``; ``GET /models`` lists
``model``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("rate_limit", "server_error", "timeout", "malformed", "truncated", "schema", "empty")


@dataclass
class Reply:
    """One scripted answer. ``status`` other than 200 sends an OpenAI-style error body."""

    content: str | None = ""
    status: int = 200
    finish_reason: str = "stop"
    delay: float | None = None  # seconds from arrival to answer (default: the server's latency)
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted error"  # "{authorization}" becomes the request's header
    raw: str | None = None  # sent as it is (text/html), instead of a completion
    close: bool = False  # drop the connection without an answer


Responder = Callable[[dict[str, Any]], "Reply | str"]


@dataclass
class Faults:
    """Which requests fail: each with probability ``rate`` (seeded), or by a fixed ``sequence``
    of fault names / None consumed one per request."""

    rate: float = 0.0
    kinds: Sequence[str] = FAULTS
    seed: int = 0
    sequence: Sequence[str | None] = ()

    def __post_init__(self) -> None:
        self._rng, self._queue, self._lock = random.Random(self.seed), deque(self.sequence), threading.Lock()

    def draw(self) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.rate and self._rng.random() < self.rate:
                return self._rng.choice(list(self.kinds))
            return None


@dataclass
class Logged:
    """One request the server saw and what it did (``outcome``: ok, refused or a fault name)."""

    body: dict[str, Any]
    outcome: str
    at: float


class ScriptedServer:
    def __init__(self, responder: Responder | None = None, *, latency: float = 0.0,
                 supports: Sequence[str] = ("json_schema", "json_object"),
                 faults: Faults | None = None, timeout_delay: float = 1.5,
                 model: str = "scripted", refusal: tuple[int, str] | None = None,
                 refuses: Sequence[str] = ()) -> None:
        self.responder = responder or (lambda body: Reply("ok"))
        self.latency, self.supports, self.faults = latency, tuple(supports), faults or Faults()
        self.timeout_delay, self.model = timeout_delay, model
        self.refusal = refusal  # (status, message) for an unsupported response_format
        self.refuses = tuple(refuses)  # request fields answered with an "unsupported" error
        self.queue: deque[Reply | str] = deque()
        self.log: list[Logged] = []
        self.in_flight = self.max_in_flight = 0  # concurrent requests now / at most
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def push(self, *replies: Reply | str) -> None:
        """Answer the next requests with these, in order, before the responder is asked."""
        self.queue.extend(replies)

    def outcomes(self) -> list[str]:
        with self._lock:
            return [entry.outcome for entry in self.log]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- one request ---------------------------------------------------------------------
    def answer(self, body: dict[str, Any]) -> tuple[Reply, str]:
        """What to send for ``body``, and the outcome to log."""
        fmt = (body.get("response_format") or {}).get("type")
        if fmt and fmt not in self.supports:
            status, message = self.refusal or (400, f"response_format type {fmt!r} is not"
                                                    " supported")
            return Reply(None, status, message=message), "refused"
        for name in self.refuses:
            if name in body:
                return Reply(None, 400, message=f"Unrecognized request argument supplied:"
                                                f" {name}"), "refused"
        reply = self.queue.popleft() if self.queue else self.responder(body)
        reply = Reply(reply) if isinstance(reply, str) else reply
        fault = self.faults.draw()
        return (_inject(reply, fault, self.timeout_delay), fault) if fault else (reply, "ok")

    def record(self, body: dict[str, Any], outcome: str) -> None:
        with self._lock:
            self.log.append(Logged(body, outcome, time.monotonic()))

    def enter(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # many clients connect at once; the default backlog of 5 drops some

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed client is no news
            super().handle_error(request, client_address)


def _inject(good: Reply, fault: str, timeout_delay: float) -> Reply:
    text = good.content or ""
    return {
        "rate_limit": lambda: Reply(None, 429, headers={"retry-after": "0"}, message="slow down"),
        "server_error": lambda: Reply(None, 500, message="internal error"),
        "timeout": lambda: Reply(text, delay=timeout_delay),
        "malformed": lambda: Reply(text[: max(1, len(text) // 2)] + '"]}}{,', ),
        "truncated": lambda: Reply(text[: max(1, len(text) // 2)], finish_reason="length"),
        "schema": lambda: Reply('{"unexpected": "not the schema"}'),
        "empty": lambda: Reply(""),
    }[fault]()


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    content = reply.content
    return {
        "id": f"chatcmpl-{random.getrandbits(48):x}", "object": "chat.completion",
        "created": int(time.time()), "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_chars // 4 + 1,
                  "completion_tokens": len(content or "") // 4 + 1,
                  "total_tokens": prompt_chars // 4 + len(content or "") // 4 + 2},
    }


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as real servers do: no 40 ms delayed-ACK stalls

        def do_GET(self) -> None:  # noqa: N802 - the model list
            if self.path.rstrip("/") != "/v1/models":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            self._send(200, {"object": "list", "data": [
                {"id": server.model, "object": "model", "owned_by": "scripted"}]})

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            arrived = time.monotonic()
            length = int(self.headers.get("content-length", 0))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                return self._send(400, {"error": {"message": "request body is not JSON"}})
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            server.enter(+1)
            try:
                reply, outcome = server.answer(body)
                server.record(body, outcome)
                delay = server.latency if reply.delay is None else reply.delay
                time.sleep(max(0.0, arrived + delay - time.monotonic()))  # latency from arrival
            finally:
                server.enter(-1)
            if reply.close:
                self.close_connection = True
                return self.connection.shutdown(2)
            if reply.raw is not None:
                return self._send(reply.status, reply.raw,
                                  {"content-type": "text/html", **reply.headers})
            if reply.status != 200:
                message = reply.message.replace(
                    "{authorization}", self.headers.get("authorization", ""))
                return self._send(reply.status, {"error": {"message": message,
                                                           "type": "scripted"}}, reply.headers)
            self._send(200, _completion(body, reply), reply.headers)

        def _send(self, status: int, payload: dict | str,
                  headers: dict[str, str] | None = None) -> None:
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            headers = dict(headers or {})
            try:
                self.send_response(status)
                self.send_header("content-type", headers.pop("content-type", "application/json"))
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout fault): nothing to answer

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    return Handler
