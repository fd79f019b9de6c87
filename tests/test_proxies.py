"""Behind ADVISORY_PROXIES proxies the app takes the client's address from them (the rate
limits count by it); with none it believes no header a client can write."""

from __future__ import annotations

import pytest
from flask import request

from advisory import create_app
from tests.conftest import base_env, dispose_apps


@pytest.mark.parametrize(("proxies", "seen"), [("1", "203.0.113.7"), ("0", "127.0.0.1")])
def test_the_client_address_is_the_proxys_word_only_behind_a_proxy(tmp_path, proxies, seen):
    app = create_app(
        base_env(tmp_path, f"sqlite:///{tmp_path / 'proxies.db'}", ADVISORY_PROXIES=proxies)
    )
    app.add_url_rule("/_address", "address", lambda: request.remote_addr or "")
    try:
        answer = app.test_client().get(
            "/_address",
            headers={"X-Forwarded-For": "203.0.113.7"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
    finally:
        dispose_apps([app])

    assert answer.get_data(as_text=True) == seen
