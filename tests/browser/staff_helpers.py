"""Staff in the browser tests: an enrolled account in the live server's database, and signing
it in through the real sign-in page (password and the TOTP code at the server's clock)."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import pyotp
from playwright.sync_api import Page

from advisory.extensions import db
from advisory.models import Role
from advisory.services.line_keys import active_line_key, default_line
from advisory.services.staff import add_staff
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.staff_credentials import give_key_pair, give_line_key

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


def enrolled_staff(
    live_server: LiveServer, role: Role, username: str | None = None, holding_key: bool = True
) -> tuple[str, str, str]:
    """A staff member past enrolment (a lawyer with a key pair, holding the line key unless
    told otherwise): (name, password, seed)."""
    with live_server.app.app_context():
        session = db.session()
        new = add_staff(
            session,
            username=username or f"browser-{role.value}-{secrets.token_hex(3)}",
            role=role,
            data_key=DATA_KEY,
            now=DEFAULT_NOW,
        )
        new.staff.must_change_password = False
        new.staff.totp_confirmed = True
        if role is Role.LAWYER:
            line = default_line(session)
            assert line is not None
            line_key = active_line_key(session, line.id)
            assert line_key is not None
            if holding_key:
                give_line_key(
                    session,
                    new.staff,
                    line_key,
                    live_server.line_private_key,
                    new.one_time_password,
                )
            else:
                give_key_pair(session, new.staff, new.one_time_password)
        session.commit()
        return new.staff.username, new.one_time_password, new.totp_seed


# Where a sign-in lands: the work page of the role (the queue, the figures, staff accounts).
WORK_PAGE = re.compile(r"/(queue|coordinator|staff/admin/staff)$")


def sign_in(page: Page, live_server: LiveServer, username: str, password: str, seed: str) -> None:
    """Through the sign-in page, with the current code; ends on the role's work page, once
    a lawyer's keys are unlocked in this browser."""
    page.goto(f"{live_server.url}/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.fill("#code", pyotp.TOTP(seed).at(DEFAULT_NOW))
    page.click("form.sign-in [type=submit]")
    page.wait_for_url(WORK_PAGE)
