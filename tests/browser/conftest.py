"""Browser tests: a real app served over HTTP on 127.0.0.1, driven in the system Chromium.

127.0.0.1 is a secure context, so WebCrypto is available over plain HTTP. Playwright only
drives the browser Debian installed at /usr/bin/chromium; it never downloads one. Without
that browser every test here that needs it is skipped, and the run says so at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

import crypto
from advisory import create_app
from advisory.devserver import AnonymousRequestHandler
from advisory.extensions import db
from advisory.services.line_keys import initialise_line
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, base_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIPPED_MESSAGE = f"BROWSER TESTS SKIPPED: {CHROMIUM} not found"
_HERE = Path(__file__).parent


def _needs_browser(item: pytest.Item) -> bool:
    # Checks in this folder that need no browser (the test-vector file's own) still run.
    return _HERE in item.path.parents and "browser" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIPPED_MESSAGE)
    for item in items:
        if _needs_browser(item):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_sep("!", SKIPPED_MESSAGE, red=True)


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask
    line_private_key: X25519PrivateKey
    line_public_key_b64: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own SQLite file, initialised with a line key, served in a thread."""
    with serving(tmp_path_factory.mktemp("live")) as server:
        yield server


@contextmanager
def serving(path: Path) -> Iterator[LiveServer]:
    """An app on a SQLite file in `path`, its first line initialised with a key, served on
    127.0.0.1 in a thread until the block ends."""
    app = create_app(base_env(path, f"sqlite:///{path / 'live.db'}"))
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
        data_key = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
        created = initialise_line(db.session, now=DEFAULT_NOW, iterations=1000, data_key=data_key)
        db.session.commit()
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=AnonymousRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            line_private_key=created.private_key,
            line_public_key_b64=crypto.public_key_to_text(created.private_key.public_key()),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session: the system one, never a download."""
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no shared storage between tests) with one page."""
    context = browser.new_context()
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def module_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """One page on the landing page for a whole module whose tests call pure functions of
    our browser modules: a fresh context per test would cost more than all of them."""
    context = browser.new_context()
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.url}/")
        assert response is not None
        assert response.ok
        yield page
    finally:
        context.close()
