"""Who may reach the app: nobody else on 127.0.0.1; elsewhere (or shared) a login is required.

Kept free of gradio so the command line can refuse a bad address before loading it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from students.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
USER_ENV, PASSWORD_ENV = "CURRICULAB_UI_USER", "CURRICULAB_UI_PASSWORD"


def login(host: str, share: bool, env: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """The (user, password) the app must ask for, or None on a private local address.

    They come from the environment only, never from flags, so they stay out of shell history."""
    if host in LOCAL_HOSTS and not share:
        return None
    user, password = env.get(USER_ENV, ""), env.get(PASSWORD_ENV, "")
    if not user or not password:
        where = "sharing the app" if share else f"binding to {host}"
        raise ConfigError(f"{where} makes it reachable by others: set {USER_ENV} and "
                          f"{PASSWORD_ENV} in the environment to require a login")
    return user, password
