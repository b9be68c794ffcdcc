"""Launching the app: address, port, login and the browser.

The app binds 127.0.0.1 by default. Binding any other address, or sharing through a public
link, needs a login: the user and password come from ``CURRICULAB_UI_USER`` and
``CURRICULAB_UI_PASSWORD`` (never from flags, so they stay out of shell history).
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from envs.history import History
from students.errors import ConfigError
from ui.app import build_app
from ui.launcher import Launcher
from ui.views.runs import registered

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
USER_ENV, PASSWORD_ENV = "CURRICULAB_UI_USER", "CURRICULAB_UI_PASSWORD"
DEFAULT_PORT = 7860


@dataclass(frozen=True, slots=True)
class Served:
    app: gr.Blocks
    url: str


def login(host: str, share: bool, env: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """The (user, password) the app must ask for, or None on a private local address."""
    if host in LOCAL_HOSTS and not share:
        return None
    user, password = env.get(USER_ENV, ""), env.get(PASSWORD_ENV, "")
    if not user or not password:
        where = "sharing the app" if share else f"binding to {host}"
        raise ConfigError(f"{where} makes it reachable by others: set {USER_ENV} and "
                          f"{PASSWORD_ENV} in the environment to require a login")
    return user, password


def has_desktop() -> bool:
    """Whether a browser window can be opened here (not over SSH or in a container)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(db: str | Path, *, host: str = "127.0.0.1", port: int | None = DEFAULT_PORT,
          open_browser: bool = True, share: bool = False, checkpoint_dir: str | None = None,
          block: bool = True, quiet: bool = False) -> Served:
    """Start the app on ``host:port`` over the history ``db``; blocks unless ``block=False``."""
    auth = login(host, share)
    history = History(db)
    history.ensure()
    registered()  # import the registries (torch, seconds) before the first page, not during it
    app = build_app(history, Launcher(history, checkpoint_dir=checkpoint_dir))
    try:
        _, url, share_url = app.launch(server_name=host, server_port=port, auth=auth, share=share,
                                       inbrowser=False, prevent_thread_lock=True, quiet=True,
                                       show_error=True)
    except OSError as e:
        raise ConfigError(f"cannot serve the app on {host}:{port}: {e}") from e
    url = share_url or url
    if not quiet:
        print(f"Curriculab app on {url} (history {history.path}); Ctrl-C stops it", flush=True)
    if open_browser and has_desktop():
        webbrowser.open(url)
    if block:
        try:
            app.block_thread()
        finally:
            app.close()
    return Served(app, url)
