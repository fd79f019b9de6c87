"""Phone intake: how long a lawyer's hands are busy recording a call, and what the machine adds.

    .venv/bin/python -m bench.phone_intake [--runs 10] [--note-chars 200]

The target (issue 5, item 5) is a call recorded "in under 30 seconds of clicking". A person's
time cannot be timed by a script, so it is estimated with the keystroke-level model (Card,
Moran and Newell): every answer is a mental step (M, 1.35 s) to find it, a pointing move
(P, 1.1 s) and a click (B+B, 0.2 s); a key press without pointing is 0.28 s (K, an average
typist). Typing the note is listed apart: it happens while the caller talks and is optional.

The machine's share is measured: the app runs in this process on a fresh SQLite file (served
by werkzeug on 127.0.0.1, a secure context, so the browser seals), Chromium (/usr/bin/chromium)
plays a signed-in lawyer through three scenarios, each --runs times:

- keyboard: focus starts on the first answer; Space picks it, Enter saves (defaults for the
  rest: "advice given" in opening hours);
- typical: kind, danger, involvement, still going on, when, field, the outcome, a note of
  --note-chars characters, Save;
- everything: every question answered, language too, the note, Save.

Printed per scenario: the actions a person makes, the KLM estimate of their time (without the
note), the typing time of the note at 0.28 s a character, and p50/p95 of the machine's time
from pressing Save to the case page being loaded (sealing the note in the browser, the POST,
the redirect, the case page) and of the server's answer to the POST alone.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask_migrate import upgrade
from playwright.sync_api import Page, Request, sync_playwright
from werkzeug.serving import make_server

from advisory import create_app
from advisory.auth import sessions
from advisory.devserver import AnonymousRequestHandler
from advisory.extensions import db
from advisory.models import Role, Staff
from advisory.services.line_keys import initialise_line

CHROMIUM = "/usr/bin/chromium"
# Keystroke-level model operators, in seconds.
MENTAL, POINT, CLICK, KEY = 1.35, 1.1, 0.2, 0.28
TARGET_SECONDS = 30.0


@dataclass(frozen=True)
class Actions:
    taps: int  # answers chosen by pointing and clicking (Save included)
    keys: int  # key presses without pointing (keyboard scenario)

    @property
    def seconds(self) -> float:
        return self.taps * (MENTAL + POINT + CLICK) + self.keys * (MENTAL + KEY)


@dataclass(frozen=True)
class Scenario:
    name: str
    actions: Actions
    note: bool
    fill: Callable[[Page, str], None]
    save: Callable[[Page], None]


def _keyboard(page: Page, _note: str) -> None:
    page.keyboard.press("Space")


def _press_enter(page: Page) -> None:
    page.keyboard.press("Enter")


def _click_save(page: Page) -> None:
    page.click("#phone-intake-form [type=submit]")


def _answering(choices: tuple[tuple[str, str], ...], outcome: str) -> Callable[[Page, str], None]:
    """A form filler that points and clicks: each answer, the note, then the outcome."""

    def fill(page: Page, note: str) -> None:
        for name, value in choices:
            page.check(f"input[name={name}][value={value}]")
        page.fill("textarea[name=note]", note)
        page.check(f"input[name=outcome][value={outcome}]")

    return fill


TYPICAL_ANSWERS = (
    ("kind", "abuse_of_power"),
    ("immediate_danger", "no"),
    ("reporter_role", "experienced"),
    ("ongoing", "yes"),
    ("happened", "last_year"),
    ("field", "stage"),
)
EVERY_ANSWER = (
    ("kind", "sexual_harassment"),
    ("immediate_danger", "no"),
    ("reporter_role", "witnessed"),
    ("ongoing", "no"),
    ("dismissal_or_warning", "yes"),
    ("happened", "last_30_days"),
    ("field", "music"),
    ("preferred_language", "en"),
)
_typical = _answering(TYPICAL_ANSWERS, "follow_up")
_everything = _answering(EVERY_ANSWER, "referred")


SCENARIOS = (
    # Space + Enter.
    Scenario("keyboard", Actions(taps=0, keys=2), note=False, fill=_keyboard, save=_press_enter),
    # 6 answers (field included), the outcome, the note box, Save.
    Scenario("typical", Actions(taps=9, keys=0), note=True, fill=_typical, save=_click_save),
    # 8 answers, the outcome, the note box, Save.
    Scenario("everything", Actions(taps=11, keys=0), note=True, fill=_everything, save=_click_save),
)


@dataclass(frozen=True)
class Served:
    url: str
    cookie_for: Callable[[], str]


@contextmanager
def served_app(instance: Path) -> Iterator[Served]:
    """The app on a fresh SQLite file with a line key, served on a free loopback port."""
    secret_key = secrets.token_bytes(32)
    env = {
        "ADVISORY_INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "ADVISORY_SECURE_COOKIES": "false",
        "ADVISORY_SECRET_KEY": secret_key.hex(),
        "ADVISORY_PEPPER": secrets.token_hex(32),
        "ADVISORY_DATA_KEY": secrets.token_hex(32),
    }
    app = create_app(env)
    with app.app_context():
        upgrade()
        line = initialise_line(db.session, now=app.extensions["advisory_clock"]()).line
        db.session.commit()
        line_id = line.id

    def cookie_for() -> str:
        with app.app_context():
            now = app.extensions["advisory_clock"]()
            lawyer = Staff(
                username=f"bench-lawyer-{secrets.token_hex(4)}",
                role=Role.LAWYER,
                line_id=line_id,
                # Never used: the session cookie below signs this lawyer in.
                password_hash="$argon2id$not-a-real-hash",  # noqa: S106
                totp_secret_encrypted="r1.not-a-real-secret",  # noqa: S106
                must_change_password=False,
                totp_confirmed=True,
            )
            db.session.add(lawyer)
            db.session.commit()
            started = sessions.start_session(lawyer.id, 0, now, enrolling=False)
        return sessions.encode(secret_key, started)

    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=AnonymousRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", cookie_for)
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def run(args: argparse.Namespace) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access line per request
    note = ("Advised on the union rep and the deadline for an answer. " * 20)[: args.note_chars]
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-phone-") as tmp,
        served_app(Path(tmp)) as served,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for scenario in SCENARIOS:
            machine, server = [], []
            for _ in range(args.runs):
                context = browser.new_context()
                context.add_cookies(
                    [
                        {
                            "name": sessions.COOKIE_NAME,
                            "value": served.cookie_for(),
                            "url": served.url,
                        }
                    ]
                )
                page = context.new_page()
                posts: list[Request] = []
                page.on(
                    "request",
                    lambda r, posts=posts: posts.append(r) if r.method == "POST" else None,
                )
                page.goto(f"{served.url}/queue/phone")
                page.wait_for_selector("#phone-intake-form[data-enhanced]", state="attached")
                scenario.fill(page, note)
                started = time.perf_counter()
                scenario.save(page)
                page.wait_for_url("**/cases/*", wait_until="load")
                elapsed = time.perf_counter() - started
                timing = posts[0].timing
                server.append(timing["responseStart"] - timing["requestStart"])
                machine.append(elapsed * 1000)
                context.close()
            rows.append((scenario, machine, server))
        browser.close()

    header = (
        f"{'scenario':<11} {'taps':>4} {'keys':>4} {'person s':>8} {'note s':>6}"
        f" {'save→page p50 ms':>16} {'p95':>6} {'POST p50 ms':>11} {'p95':>6}"
    )
    print(header)
    worst = 0.0
    for scenario, machine, server in rows:
        person = scenario.actions.seconds
        worst = max(worst, person)
        typing = len(note) * KEY if scenario.note else 0.0
        print(
            f"{scenario.name:<11} {scenario.actions.taps:>4} {scenario.actions.keys:>4}"
            f" {person:>8.1f} {typing:>6.0f} {_pct(machine, 50):>16.0f} {_pct(machine, 95):>6.0f}"
            f" {_pct(server, 50):>11.1f} {_pct(server, 95):>6.1f}"
        )
    print(
        f"\nperson s: keystroke-level estimate without the note (target {TARGET_SECONDS:.0f} s); "
        f"note s: typing {args.note_chars} characters at {KEY} s each, while the caller talks.\n"
        "save→page: from pressing Save to the case page loaded (sealing the note, the POST, "
        "the redirect, the case page); POST: the server's answer to the POST alone."
    )
    return 0 if worst < TARGET_SECONDS else 1


def _pct(values: Sequence[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--note-chars", type=int, default=200)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
