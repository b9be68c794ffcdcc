"""Launching the app: address, port, login and the browser.

The app binds 127.0.0.1 by default, and then answers only requests addressed to a loopback
name (``ui.hosts``). Binding any other address, or sharing through a public link, needs a
login: the user and password come from ``CURRICULAB_UI_USER`` and ``CURRICULAB_UI_PASSWORD``
(never from flags, so they stay out of shell history).
"""

from __future__ import annotations

import os
import sys
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from envs.history import History
from students.errors import ConfigError
from students.plugins import load_plugins
from ui.access import login
from ui.app import build_app
from ui.hosts import HostCheck, allowed_hosts
from ui.launcher import Launcher
from ui.views.run_form import registered

DEFAULT_PORT = 7860


@dataclass(frozen=True, slots=True)
class Served:
    app: gr.Blocks
    url: str


def has_desktop() -> bool:
    """Whether a browser window can be opened here (not over SSH or in a container)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(db: str | Path, *, host: str = "127.0.0.1", port: int | None = DEFAULT_PORT,
          open_browser: bool = True, share: bool = False, checkpoint_dir: str | None = None,
          block: bool = True, quiet: bool = False, plugins: Sequence[str] = ()) -> Served:
    """Start the app on ``host:port`` over the history ``db``; blocks unless ``block=False``.
    ``plugins`` (modules or .py files) are imported first, so the form's menus and the views
    know the user's ids."""
    auth = login(host, share)
    plugins = load_plugins(plugins)
    history = History(db)
    history.ensure()
    registered()  # import the registries (torch, seconds) before the first page, not during it
    app = build_app(history, Launcher(history, checkpoint_dir=checkpoint_dir, plugins=plugins))
    names = allowed_hosts(host, share)
    middleware = [Middleware(HostCheck, allowed=names)] if names is not None else []
    try:
        _, url, share_url = app.launch(server_name=host, server_port=port, auth=auth, share=share,
                                       inbrowser=False, prevent_thread_lock=True, quiet=True,
                                       show_error=True, app_kwargs={"middleware": middleware})
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
