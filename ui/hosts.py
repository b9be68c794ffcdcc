"""Which ``Host`` headers the app answers: on a loopback address only loopback names, so that
a web page elsewhere cannot reach it by pointing a name of its own at 127.0.0.1 (DNS
rebinding). Bound to another address, or shared, the app already requires a login and
answers whatever name it was reached by.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from ui.access import LOCAL_HOSTS

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
ASGI = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def allowed_hosts(host: str, share: bool) -> frozenset[str] | None:
    """The names the app answers to when bound to ``host``; None when any name is accepted."""
    if share or host not in LOCAL_HOSTS:
        return None
    return LOOPBACK_NAMES


def host_name(header: str) -> str:
    """The name in a Host header, without its port ("[::1]:7860" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else ""
    return header.rsplit(":", 1)[0].rstrip(".") if header.count(":") <= 1 else ""


class HostCheck:
    """ASGI middleware: a request for another name is answered 400 (or, for a websocket,
    closed) before it reaches the app."""

    def __init__(self, app: ASGI, allowed: Collection[str]) -> None:
        self.app, self.allowed = app, frozenset(allowed)

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if host_name(header) not in self.allowed:
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: dict[str, Any], send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"Invalid Host header: this app answers only to localhost and 127.0.0.1\n"
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
