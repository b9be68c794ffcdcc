"""Serving the app: 127.0.0.1 without a login; any other address or sharing needs one from the
environment; the command line says so in one line."""

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from gradio_client import Client

from students.errors import ConfigError
from ui.access import PASSWORD_ENV, USER_ENV, login
from ui.server import serve

from .conftest import free_port, html_rows


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_local_address_needs_no_login():
    assert login("127.0.0.1", share=False, env={}) is None


@pytest.mark.parametrize("host, share", [("0.0.0.0", False), ("192.168.1.5", False),
                                         ("127.0.0.1", True)])
def test_other_addresses_and_sharing_need_user_and_password(host, share):
    with pytest.raises(ConfigError, match=f"{USER_ENV} and {PASSWORD_ENV}"):
        login(host, share, env={})
    with pytest.raises(ConfigError):
        login(host, share, env={USER_ENV: "ann"})  # a user alone is not enough
    assert login(host, share, env={USER_ENV: "ann", PASSWORD_ENV: "s3cret"}) == ("ann", "s3cret")


def test_command_line_refuses_an_open_address_without_a_login(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in (USER_ENV, PASSWORD_ENV)}
    proc = subprocess.run([sys.executable, "-m", "ui.cli", "ui", "--host", "0.0.0.0", "--no-browser",
                           "--db", str(tmp_path / "h.duckdb")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 2
    assert USER_ENV in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_served_locally_the_app_answers_without_a_login(generated_copy):
    served = serve(generated_copy, port=free_port(), open_browser=False, block=False, quiet=True)
    try:
        assert "127.0.0.1" in served.url or "localhost" in served.url
        assert status(served.url + "config") == 200
    finally:
        served.app.close()


def test_served_on_all_addresses_the_app_asks_for_the_login(generated_copy, monkeypatch):
    monkeypatch.setenv(USER_ENV, "ann")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    port = free_port()
    served = serve(generated_copy, host="0.0.0.0", port=port, open_browser=False, block=False,
                   quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert status(url + "config") == 401
        client = Client(url, auth=("ann", "s3cret"), verbose=False)
        table, *_ = client.predict(None, api_name="/list_runs")
        assert len(html_rows(table)) == 1 + 16
    finally:
        served.app.close()


def status_for(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_served_locally_the_app_answers_only_loopback_names(tmp_path):
    """DNS rebinding: a page on evil.example that resolves its name to 127.0.0.1 is refused."""
    port = free_port()
    served = serve(tmp_path / "h.duckdb", port=port, open_browser=False, block=False, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/config"
        for name in ("evil.example", f"evil.example:{port}", "127.0.0.1.nip.io", "localhost.evil", ""):
            assert status_for(url, name) == 400, name
        for name in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}"):
            assert status_for(url, name) == 200, name
    finally:
        served.app.close()


def test_a_given_host_answers_any_name(tmp_path, monkeypatch):
    monkeypatch.setenv(USER_ENV, "ann")
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    port = free_port()
    served = serve(tmp_path / "h.duckdb", host="0.0.0.0", port=port, open_browser=False,
                   block=False, quiet=True)
    try:
        assert status_for(f"http://127.0.0.1:{port}/config", f"lab.example:{port}") == 401
    finally:
        served.app.close()
