"""Rate limits on the anonymous surface (DESIGN.md invariant 2: keyed, daily, never the address).

Every test builds its own app with tiny limits on a fresh SQLite file holding a line key, so
the report form can be shown and sent. CSRF stays on: tokens come from the pages themselves.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import limits.storage.memory
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from sqlalchemy import select
from werkzeug.test import TestResponse

import advisory.ratelimit
import crypto
from advisory import create_app
from advisory.extensions import db, limiter
from advisory.models import Callback, Case, Notification
from advisory.ratelimit import KEY_HEX_CHARS, SweptMemoryStorage, client_key, storage_uri
from advisory.services.line_keys import initialise_line
from advisory.settings import SettingsError, load_settings
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, base_env, dispose_apps
from tests.reporter_helpers import STORED, case_code_on, page_of

ADDRESS = "198.51.100.77"
OTHER_ADDRESS = "203.0.113.5"
NARRATIVE = "The stage manager kept me late every night (canary-narrative-5821)"
PHONE = "+47 912 34 567"
REDIS_URL = "redis://127.0.0.1:6379/15"
TRY_AGAIN = re.compile(r"Please try again after (\d\d:\d\d)\.")
OSLO = ZoneInfo("Europe/Oslo")
FOLLOW_UP_POSTS = ("/follow-up", "/follow-up/message", "/follow-up/callback/cancel")


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """`make_app(**env)`: a fresh app whose database holds a line key; the line's pages are
    English."""
    apps: list[Flask] = []

    def make_app(**env: str) -> Flask:
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        app = create_app(
            base_env(
                folder,
                f"sqlite:///{folder / 'rate.db'}",
                **env,
            )
        )
        app.config["TESTING"] = True
        app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
        with app.app_context():
            upgrade()
            initialise_line(
                db.session(),
                now=DEFAULT_NOW,
                iterations=1000,
                line_settings={"languages": "en, nb", "default_language": "en"},
            )
            db.session.commit()
        apps.append(app)
        return app

    yield make_app
    dispose_apps(apps)


def visitor(app: Flask, address: str = ADDRESS) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


def send_report(client: FlaskClient, **fields: str) -> TestResponse:
    page = client.get("/report").get_data(as_text=True)
    data = {
        "csrf_token": hidden_value(page, "csrf_token"),
        "submission_token": hidden_value(page, "submission_token"),
        "kind": "discrimination",
        "contact_preference": "inbox",
        "narrative": "A question about a contract",
        **fields,
    }
    return client.post("/report", data=data)


def post_with_code(client: FlaskClient, path: str, **fields: str) -> TestResponse:
    token = hidden_value(client.get("/follow-up").get_data(as_text=True), "csrf_token")
    data = {"csrf_token": token, "code": "7K3M-9QXW-2HDN-5RTV-8CBJ", **fields}
    return client.post(path, data=data)


def minutes_between(start: float, end: float) -> set[str]:
    """Every HH:MM (Oslo) that a reset inside [start, end], rounded up to the minute, can show."""
    shown = set()
    moment = datetime.fromtimestamp(start, UTC).replace(second=0, microsecond=0)
    while moment <= datetime.fromtimestamp(end, UTC) + timedelta(minutes=1):
        shown.add(moment.astimezone(OSLO).strftime("%H:%M"))
        moment += timedelta(minutes=1)
    return shown


# --- the report form ---------------------------------------------------------------------------


def test_third_report_in_a_minute_is_refused_and_keeps_everything_but_the_phone(make_app):
    # Given a line that takes two reports a minute from one address
    client = visitor(make_app(ADVISORY_REPORT_LIMIT="2 per minute"))
    first_sent = time.time()
    assert send_report(client).status_code == STORED
    assert send_report(client).status_code == STORED

    # When a third report arrives, with answers, a narrative and a phone number
    page = client.get("/report").get_data(as_text=True)
    posted_token = hidden_value(page, "submission_token")
    response = client.post(
        "/report",
        data={
            "csrf_token": hidden_value(page, "csrf_token"),
            "submission_token": posted_token,
            "kind": "abuse_of_power",
            "reporter_role": "witnessed",
            "ongoing": "yes",
            "field": "stage",
            "narrative": NARRATIVE,
            "contact_preference": "callback",
            "phone": PHONE,
        },
    )
    third_sent = time.time()

    # Then it is refused, says when to try again, and the form comes back filled in
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    shown = TRY_AGAIN.search(text)
    assert shown, "the page says when to try again"
    assert shown.group(1) in minutes_between(first_sent + 60, third_sent + 61)
    assert NARRATIVE in text
    for name, value in [
        ("kind", "abuse_of_power"),
        ("reporter_role", "witnessed"),
        ("ongoing", "yes"),
        ("contact_preference", "callback"),
    ]:
        assert re.search(rf'<input checked[^>]*name="{name}"[^>]*value="{value}"', text), name
    assert re.search(r'<option selected value="stage">', text)
    assert PHONE not in text
    assert "912 34 567" not in text
    # The same submission token comes back, so sending twice still makes one case.
    assert hidden_value(text, "submission_token") == posted_token


def test_another_address_has_its_own_budget(make_app):
    app = make_app(ADVISORY_REPORT_LIMIT="1 per minute")
    first, second = visitor(app, ADDRESS), visitor(app, OTHER_ADDRESS)

    assert send_report(first).status_code == STORED
    assert send_report(first).status_code == 429
    assert send_report(second).status_code == STORED
    assert send_report(second).status_code == 429


def test_a_new_day_brings_a_new_key_and_so_a_new_budget(make_app):
    app = make_app(ADVISORY_REPORT_LIMIT="1 per hour")
    client = visitor(app)
    assert send_report(client).status_code == STORED
    assert send_report(client).status_code == 429

    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW + timedelta(days=1)

    assert send_report(client).status_code == STORED


# --- callback places ---------------------------------------------------------------------------


def test_a_connection_holds_its_share_of_callback_places_and_the_rest_is_still_stored(make_app):
    # Given a line where one connection may book one callback place a day
    app = make_app(ADVISORY_CALLBACK_LIMIT="1 per day")
    client, other = visitor(app, ADDRESS), visitor(app, OTHER_ADDRESS)
    callback = {"contact_preference": "callback", "phone": PHONE, "narrative": NARRATIVE}

    # When it asks for a second callback, and another connection for its first
    first = send_report(client, **callback)
    second = send_report(client, **callback)
    elsewhere = send_report(other, **callback)

    # Then the second report is stored all the same, to be answered in the inbox, and says so
    assert (first.status_code, second.status_code, elsewhere.status_code) == (STORED,) * 3
    assert "We will call you at" in client.get(first.headers["Location"]).get_data(as_text=True)
    second_page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "could not book a call" in second_page
    assert "We will call you at" not in second_page
    assert "We will call you at" in other.get(elsewhere.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        cases = db.session.scalars(select(Case).order_by(Case.id)).all()
        callbacks = db.session.scalars(select(Callback)).all()
        warned = db.session.scalars(
            select(Notification).where(Notification.kind == "callback_unbooked")
        ).all()
    assert [case.contact_preference for case in cases] == ["callback", "inbox", "callback"]
    assert len(callbacks) == 2
    assert [note.case_reference for note in warned] == [cases[1].reference]
    assert [note.role for note in warned] == ["coordinator"]


# --- the follow-up posts -----------------------------------------------------------------------


def test_lookup_limit_is_shared_by_every_post_with_a_case_code(make_app):
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="3 per minute"))

    # Three different follow-up posts use up the one budget ...
    for path in FOLLOW_UP_POSTS:
        assert post_with_code(client, path).status_code == 400, path
    # ... so the fourth, to yet another of them, is refused.
    assert post_with_code(client, "/follow-up/erase").status_code == 429
    assert post_with_code(client, "/follow-up").status_code == 429
    # The report form has a budget of its own.
    assert send_report(client).status_code == STORED


def case_code_of_a_new_report(client: FlaskClient) -> str:
    """Send a report without JavaScript; the case code its receipt shows."""
    answer = send_report(client)
    assert answer.status_code == STORED
    receipt = client.get(answer.headers["Location"])
    return case_code_on(page_of(receipt))


def test_many_successful_lookups_from_one_address_are_never_limited(make_app):
    # Given a line that allows two failed lookups a minute, and colleagues behind one address
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="2 per minute"))
    codes = [case_code_of_a_new_report(client) for _ in range(3)]

    # When each opens their case again and again, and writes in it
    statuses = [
        post_with_code(client, path, code=code, message="Any news?").status_code
        for _ in range(4)
        for code in codes
        for path in ("/follow-up", "/follow-up/message")
    ]

    # Then every one of the 24 posts is answered
    assert statuses == [200] * 24


def test_failed_lookups_are_limited_and_the_page_says_when_to_try_again(make_app):
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="2 per minute"))
    code = case_code_of_a_new_report(client)
    first_failure = time.time()

    # Two codes that open nothing, with right ones between them that cost nothing
    assert post_with_code(client, "/follow-up").status_code == 400
    assert [post_with_code(client, "/follow-up", code=code).status_code for _ in range(5)] == [
        200
    ] * 5
    assert post_with_code(client, "/follow-up/message").status_code == 400

    # Then a third try is refused, says why and when, and so is a right code until then
    refused = post_with_code(client, "/follow-up")
    refused_at = time.time()
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "case codes that match no case were tried from your connection" in text
    shown = TRY_AGAIN.search(text)
    assert shown, "the page says when to try again"
    assert shown.group(1) in minutes_between(first_failure + 60, refused_at + 61)
    assert post_with_code(client, "/follow-up", code=code).status_code == 429
    # And the report form keeps its own budget
    assert send_report(client).status_code == STORED


def test_refused_code_lookup_shows_the_follow_up_page_with_the_code_kept(make_app):
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="1 per minute"))
    post_with_code(client, "/follow-up")

    response = post_with_code(client, "/follow-up", code="4FJQ-WXZ3-7HNM-2KPD-9RTC")

    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert TRY_AGAIN.search(text)
    assert 'action="/follow-up"' in text
    assert 'value="4FJQ-WXZ3-7HNM-2KPD-9RTC"' in text


def test_refused_message_comes_back_ready_to_send_again(make_app):
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="1 per minute"))
    post_with_code(client, "/follow-up")

    response = post_with_code(
        client, "/follow-up/message", code="4FJQ-WXZ3-7HNM-2KPD-9RTC", message=NARRATIVE
    )

    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert TRY_AGAIN.search(text)
    form = re.search(r'(?s)<form method="post" action="/follow-up/message">(.*?)</form>', text)
    assert form, "a form that posts the message again"
    assert 'name="csrf_token"' in form.group(1)
    assert '<input type="hidden" name="code" value="4FJQ-WXZ3-7HNM-2KPD-9RTC">' in form.group(1)
    assert NARRATIVE in form.group(1)


def test_get_pages_are_never_limited(make_app):
    client = visitor(
        make_app(ADVISORY_REPORT_LIMIT="1 per hour", ADVISORY_LOOKUP_LIMIT="1 per hour")
    )
    send_report(client)
    post_with_code(client, "/follow-up")

    for _ in range(5):
        for path in ("/", "/report", "/follow-up"):
            assert client.get(path).status_code == 200, path


# --- keys: keyed, daily, never the address ------------------------------------------------------


def plain_digests(address: str) -> list[str]:
    raw = address.encode()
    return [
        address,
        raw.hex(),
        *(hashlib.new(name, raw).hexdigest()[:KEY_HEX_CHARS] for name in ("md5", "sha1", "sha256")),
    ]


def key_in_request(app: Flask, address: str, day: datetime) -> str:
    app.extensions["advisory_clock"] = lambda: day
    with app.test_request_context("/report", method="POST", environ_base={"REMOTE_ADDR": address}):
        key: str = app.extensions["advisory_ratelimit_key"]()
    return key


def test_key_changes_with_the_day_and_is_not_the_address(make_app):
    app = make_app()
    morning = key_in_request(app, ADDRESS, DEFAULT_NOW)
    evening = key_in_request(app, ADDRESS, DEFAULT_NOW + timedelta(hours=14))
    tomorrow = key_in_request(app, ADDRESS, DEFAULT_NOW + timedelta(days=1))

    assert morning == evening
    assert morning != tomorrow
    assert re.fullmatch(rf"[0-9a-f]{{{KEY_HEX_CHARS}}}", morning)
    for key in (morning, tomorrow):
        for plain in plain_digests(ADDRESS):
            assert plain not in key
    assert key_in_request(app, OTHER_ADDRESS, DEFAULT_NOW) != morning


def test_key_cannot_be_made_without_the_secret(make_app):
    day = DEFAULT_NOW.date()
    master = crypto.derive_subkey(bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"]), "ratelimit")
    app_key = key_in_request(make_app(), ADDRESS, DEFAULT_NOW)

    assert app_key == client_key(master, ADDRESS, day)
    assert client_key(b"\x00" * 32, ADDRESS, day) != app_key
    assert client_key(crypto.derive_subkey(b"\x11" * 32, "other"), ADDRESS, day) != app_key


def test_no_address_or_key_in_the_logs(make_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(ADVISORY_REPORT_LIMIT="1 per minute", ADVISORY_LOOKUP_LIMIT="1 per minute")
    client = visitor(app)
    key = key_in_request(app, ADDRESS, DEFAULT_NOW)

    for _ in range(2):
        send_report(client)
        post_with_code(client, "/follow-up")

    breaches = [r for r in caplog.records if r.name == "flask-limiter" and "exceeded" in r.message]
    assert len(breaches) == 2  # the breaches were logged, so the search below is not vacuous
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        line = formatter.format(record)
        for secret in (key, *plain_digests(ADDRESS)):
            assert secret not in line


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture
def redis_db() -> Iterator[Any]:
    redis = pytest.importorskip("redis")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


def test_redis_storage_limits_and_keeps_only_expiring_keyed_hashes(make_app, redis_db):
    # An address of this run only, so runs side by side on one Redis count apart.
    address = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    master = crypto.derive_subkey(bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"]), "ratelimit")
    key = client_key(master, address, DEFAULT_NOW.date())
    app = make_app(ADVISORY_RATELIMIT_STORAGE=REDIS_URL, ADVISORY_REPORT_LIMIT="2 per minute")
    client = visitor(app, address)

    try:
        statuses = [send_report(client).status_code for _ in range(3)]
        stored = [name.decode() for name in redis_db.keys(f"*{key}*")]

        assert statuses == [STORED, STORED, 429]
        assert stored, "the counters are in Redis, under the keyed hash"
        for name in stored:
            for plain in plain_digests(address):
                assert plain not in name
            assert 0 < redis_db.ttl(name) <= 60
            assert address.encode() not in redis_db.dump(name)
        assert not any(address in name.decode() for name in redis_db.keys("*"))
    finally:
        for name in redis_db.keys(f"*{key}*"):
            redis_db.delete(name)


def test_unreachable_redis_falls_back_to_counting_in_memory(make_app, caplog):
    # Port 1 refuses connections: the storage is gone from the first request on.
    app = make_app(
        ADVISORY_RATELIMIT_STORAGE="redis://127.0.0.1:1/0", ADVISORY_REPORT_LIMIT="1 per minute"
    )
    client = visitor(app)

    assert [send_report(client).status_code for _ in range(2)] == [STORED, 429]
    assert "falling back to in-memory storage" in caplog.text


# --- counting in memory ------------------------------------------------------------------------


def test_memory_counting_starts_no_thread_per_request(make_app, monkeypatch):
    # Given a line counting in memory (the limiter's storage is made with the app). The one
    # limiter of the process may still be on its fallback from the unreachable-Redis test.
    monkeypatch.setattr(limiter, "_storage_dead", False)
    client = visitor(make_app(ADVISORY_REPORT_LIMIT="3 per minute"))
    assert isinstance(limiter.storage, SweptMemoryStorage)
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", counting_start)

    # When reports arrive, up to and over the limit
    statuses = [send_report(client).status_code for _ in range(4)]

    # Then they are counted as ever, without a thread started for any of them
    assert statuses == [STORED, STORED, STORED, 429]
    assert started == []


@pytest.fixture
def clocks(monkeypatch) -> list[float]:
    """`clocks[0]` is the time (wall clock and monotonic alike) both memory storages read."""
    moment = [1_000_000.0]
    clock = SimpleNamespace(time=lambda: moment[0], monotonic=lambda: moment[0])
    monkeypatch.setattr(advisory.ratelimit, "time", clock)
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return moment


def test_memory_sweep_drops_passed_windows_with_a_later_hit(clocks):
    storage = SweptMemoryStorage()

    assert storage.acquire_entry("short", limit=5, expiry=1)  # the first hit sweeps
    assert storage.acquire_entry("long", limit=5, expiry=3600)
    clocks[0] += 0.5
    assert storage.acquire_entry("long", limit=5, expiry=3600)
    clocks[0] += 0.6  # the one-second window has passed, and the last sweep was 1.1 s ago
    assert storage.acquire_entry("long", limit=5, expiry=3600)

    assert storage.get_moving_window("short", limit=5, expiry=1) == (clocks[0], 0)
    assert storage.get_moving_window("long", limit=5, expiry=3600) == (1_000_000.0, 3)
    assert storage.reset() == 1  # "short" was dropped: one key was left to clear


def test_memory_sweep_waits_a_second_between_sweeps(clocks):
    storage = SweptMemoryStorage()
    assert storage.acquire_entry("long", limit=5, expiry=3600)  # sweeps
    clocks[0] += 0.5
    assert storage.acquire_entry("short", limit=5, expiry=1)
    clocks[0] += 0.5
    assert storage.acquire_entry("long", limit=5, expiry=3600)  # sweeps: "short" is in its window
    clocks[0] += 0.6  # "short" has passed, but the last sweep was 0.6 s ago

    assert storage.acquire_entry("long", limit=5, expiry=3600)
    assert storage.get_moving_window("short", limit=5, expiry=1)[1] == 0
    assert storage.reset() == 2  # "short" is still held, to go with the next sweep


@pytest.mark.parametrize("strategy", [MovingWindowRateLimiter, FixedWindowRateLimiter])
def test_memory_counting_judges_every_hit_as_limits_own_memory_storage(clocks, strategy):
    """Hits at random moments on limits of several sizes, judged by both storages alike."""
    ours, theirs = strategy(SweptMemoryStorage()), strategy(MemoryStorage())
    draw = random.Random(7)
    items = [parse(text) for text in ("1/10 seconds", "3/minute", "5/2 seconds", "2/second")]
    answers = []
    for _ in range(3_000):
        # Same instants and random steps, never exactly a window apart: there limits' storage
        # itself answers either way, depending on whether its timer thread has run.
        steps = [0.0, draw.uniform(0, 0.2), draw.uniform(0.5, 3), draw.uniform(5, 15)]
        clocks[0] += draw.choice(steps)
        item, cost = draw.choice(items), draw.choice([1, 1, 1, 2])

        answer = ours.hit(item, "client", cost=cost)
        assert answer == theirs.hit(item, "client", cost=cost), (item, clocks[0])
        stats = ours.get_window_stats(item, "client")
        their_stats = theirs.get_window_stats(item, "client")
        assert stats.remaining == their_stats.remaining
        if stats.remaining < item.amount:  # the reset of an empty window is "now" or "passed"
            assert stats.reset_time == their_stats.reset_time
        answers.append(answer)
    assert 500 < answers.count(False) < 2_500  # both kinds of answer, many times over


def test_memory_storage_is_the_swept_one_and_redis_stays_redis():
    assert storage_uri("memory://") == "advisory-memory://"
    assert isinstance(storage_from_string(storage_uri("memory://")), SweptMemoryStorage)
    assert storage_uri(REDIS_URL) == REDIS_URL


# --- settings ------------------------------------------------------------------------------------

# A bad value of any of these variables stops start-up: tests/test_settings.py checks them all.


def test_storage_error_does_not_repeat_a_password(tmp_path):
    env = base_env(tmp_path, "sqlite://", ADVISORY_RATELIMIT_STORAGE="mongodb://u:hunter2@db/x")
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert "hunter2" not in str(raised.value)


def test_rate_limit_defaults(tmp_path):
    settings = load_settings({"ADVISORY_INSTANCE_PATH": str(tmp_path)})
    assert settings.ratelimit_storage == "memory://"
    assert settings.report_limit == "5 per hour; 20 per day"
    assert settings.lookup_limit == "10 per 10 minutes; 50 per day"
    assert "hunter2" not in repr(
        load_settings(
            base_env(tmp_path, "sqlite://", ADVISORY_RATELIMIT_STORAGE="redis://:hunter2@h/3")
        )
    )
