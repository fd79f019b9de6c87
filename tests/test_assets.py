"""Subresource Integrity: what a page loads is pinned to the files the server started with.

Every digest here is worked out by the test itself from the bytes (SHA-384, base64) and
compared with what the pages, the import map, the CSP and the CLI say. Chromium's side (a
changed file is refused) is in tests/browser/test_assets_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from jinja2 import Template
from werkzeug.test import TestResponse

import crypto
from advisory import totp
from advisory.assets import UnknownAsset, app_assets, build_manifest, render_import_map
from advisory.auth import sessions
from advisory.models import Role, Staff
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW, TEST_SECRETS

REPO_ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = REPO_ROOT / "advisory" / "static"
TEMPLATES_DIR = REPO_ROOT / "templates"
# The yearly report written to a file (`flask report yearly --output`) is opened from disk
# with its stylesheet beside it: no server sends it, so there is nothing to pin.
NOT_SERVED = {"coordinator/report_file.html"}
SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])

RAW_SCRIPT = re.compile(r"(?i)<script\b[^>]*\bsrc\s*=")
RAW_STYLESHEET = re.compile(r"(?i)<link\b[^>]*\brel\s*=\s*[\"']?stylesheet")
ASSET_NAMED = re.compile(r"asset_tag\(\s*['\"]([^'\"]+)['\"]\s*\)")
TEMPLATE_NAMED = re.compile(r"[\"']([\w./-]+\.html)[\"']")


def sha384_of(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def csp_hash_of(inline_script: str) -> str:
    digest = hashlib.sha256(inline_script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def static_files() -> list[str]:
    return sorted(
        p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()
    )


def template_names() -> list[str]:
    return sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html"))


def template_source(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


# --- the manifest ------------------------------------------------------------------------------


def test_manifest_names_every_file_under_the_folder_with_its_sha384(tmp_path):
    files = {
        "site.css": b"body { color: black; }",
        "js/app.js": b'import "./crypto/deep.js";',
        "js/crypto/deep.js": "export const æ = 1;".encode(),
        "empty.txt": b"",
    }
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    (tmp_path / "no-files-here").mkdir()

    manifest = build_manifest(tmp_path)

    assert list(manifest) == sorted(files)
    assert dict(manifest) == {name: sha384_of(content) for name, content in files.items()}


def test_the_app_manifest_covers_every_static_file_as_it_is_on_disk(bare_app):
    manifest = app_assets(bare_app).manifest

    assert list(manifest) == static_files()
    for name in manifest:
        assert manifest[name] == sha384_of((STATIC_DIR / name).read_bytes()), name


def test_cli_prints_every_static_file_sorted_with_its_digest(bare_app):
    result = bare_app.test_cli_runner().invoke(args=["assets", "manifest"])

    assert result.exit_code == 0, result.output
    rows = [line.split("  ") for line in result.output.splitlines()]
    assert all(len(row) == 2 for row in rows), result.output
    assert [path for path, _digest in rows] == static_files()
    for path, digest in rows:
        assert digest == sha384_of((STATIC_DIR / path).read_bytes()), path


def test_a_template_naming_a_file_outside_the_manifest_fails_instead_of_loading_it_unpinned(
    bare_app,
):
    template: Template = bare_app.jinja_env.from_string("{{ asset_tag('js/no-such-file.js') }}")

    with bare_app.test_request_context("/"), pytest.raises(UnknownAsset):
        template.render()


def test_the_import_map_cannot_end_its_script_element_whatever_a_file_is_called():
    integrity = {"/static/js/</script><script>alert(1)</script>&.js": "sha384-x"}

    import_map = render_import_map(integrity)

    assert not {"<", ">", "&"} & set(import_map.text)
    assert json.loads(import_map.text) == {"integrity": integrity}


# --- the templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in template_names() if n not in NOT_SERVED])
def test_templates_load_scripts_and_stylesheets_only_through_the_integrity_helper(name):
    source = template_source(name)

    assert RAW_SCRIPT.findall(source) == []
    assert RAW_STYLESHEET.findall(source) == []


def test_every_asset_a_template_names_is_in_the_manifest(bare_app):
    named = {
        asset for name in template_names() for asset in ASSET_NAMED.findall(template_source(name))
    }

    assert named, "no template loads anything through asset_tag"
    assert named - set(app_assets(bare_app).manifest) == set()


# --- every page, as each kind of visitor sees it -----------------------------------------------


class _LoadedAssets(HTMLParser):
    """Scripts and stylesheets a page makes the browser fetch, and its import maps' text."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[tuple[str, str | None]] = []  # (URL, integrity attribute)
        self.import_maps: list[str] = []
        self._in_import_map = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("type") == "importmap":
            self._in_import_map = True
            self.import_maps.append("")
        elif tag == "script" and found.get("src"):
            self.fetched.append((str(found["src"]), found.get("integrity")))
        elif tag == "link" and "stylesheet" in (found.get("rel") or "").lower().split():
            self.fetched.append((str(found.get("href")), found.get("integrity")))

    def handle_data(self, data: str) -> None:
        if self._in_import_map:
            self.import_maps[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_import_map = False


class _Served:
    """What the server sends for a static URL, fetched once per URL."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client
        self._digests: dict[str, str] = {}

    def digest(self, url: str) -> str:
        if url not in self._digests:
            with self._client.get(url) as response:  # closes the file it streams
                assert response.status_code == 200, url
                self._digests[url] = sha384_of(response.get_data())
        return self._digests[url]


def pinning_problems(response: TestResponse, served: _Served) -> list[str]:
    """Everything on the page that a browser would load without a matching digest."""
    page = _LoadedAssets()
    page.feed(response.get_data(as_text=True))
    problems = [
        f"{url}: integrity {integrity!r}, the server sends {served.digest(url)!r}"
        for url, integrity in page.fetched
        if integrity != served.digest(url)
    ]
    if len(page.import_maps) != 1:
        return [*problems, f"{len(page.import_maps)} import maps"]
    import_map = page.import_maps[0]
    if csp_hash_of(import_map) not in response.headers.get("Content-Security-Policy", ""):
        problems.append("the CSP does not allow the page's import map")
    pinned = json.loads(import_map)["integrity"]
    modules = {f"/static/{name}" for name in static_files() if name.endswith(".js")}
    if set(pinned) != modules:
        problems.append(f"import map names {sorted(set(pinned) ^ modules)} wrongly")
    problems += [
        f"import map: {url} has {digest!r}, the server sends {served.digest(url)!r}"
        for url, digest in pinned.items()
        if digest != served.digest(url)
    ]
    return problems


def _session_of(staff: Staff, *, enrolling: bool = False) -> str:
    """A signed-in session cookie for `staff`, as after a full sign-in."""
    started = sessions.start_session(
        staff.id, staff.session_epoch, DEFAULT_NOW, enrolling=enrolling
    )
    return sessions.encode(SECRET_KEY, started)


@pytest.fixture
def rendered_templates(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender: Flask, template: Template, **extra: object) -> None:
        names.append(str(template.name))

    with template_rendered.connected_to(record, app):
        yield names


def templates_used_by(rendered: list[str]) -> set[str]:
    """The rendered templates and every template they extend, include or import (any branch)."""
    used: set[str] = set()
    waiting = list(rendered)
    while waiting:
        name = waiting.pop()
        if name not in used and (TEMPLATES_DIR / name).is_file():
            used.add(name)
            waiting += TEMPLATE_NAMED.findall(template_source(name))
    return used


def test_every_page_pins_each_script_stylesheet_and_module_to_what_the_server_sends(
    app, client, db_session, make_staff, make_case, rendered_templates
):
    # Given a line with a case, a reporter's case code, and staff of every kind
    rh.set_up_line_key(db_session)
    case = make_case()
    code = crypto.generate_case_code()
    rh.reported_case(db_session, app, code)
    enrolling = make_staff(
        Role.LAWYER,
        must_change_password=True,
        totp_secret_encrypted=totp.seal_seed(DATA_KEY, totp.new_seed()),
    )
    staff = {
        role: _session_of(make_staff(role, must_change_password=False, totp_confirmed=True))
        for role in Role
    }
    enrolling_lawyer = _session_of(enrolling, enrolling=True)
    case_page = f"/cases/{case.reference}"
    db_session.commit()  # requests end their session: only committed rows outlive them
    receipt = rh.post_report(client, narrative="Pinned.").request.path
    visits = [
        (None, "GET", receipt, None),
        (None, "GET", "/", None),
        (None, "GET", "/report", None),
        (None, "GET", "/follow-up", None),
        (None, "POST", "/follow-up", {"code": code}),
        (None, "GET", "/staff/login", None),
        (enrolling_lawyer, "GET", "/staff/welcome", None),
        (staff[Role.LAWYER], "GET", "/staff", None),
        (staff[Role.LAWYER], "GET", "/staff/password", None),
        (staff[Role.LAWYER], "GET", "/queue", None),
        (staff[Role.LAWYER], "GET", "/queue/phone", None),
        (staff[Role.LAWYER], "GET", case_page, None),
        (staff[Role.LAWYER], "GET", "/notices", None),
        (staff[Role.LAWYER], "GET", "/staff/colleagues", None),
        (staff[Role.COORDINATOR], "GET", "/coordinator", None),
        (staff[Role.COORDINATOR], "GET", "/coordinator/report", None),
        (staff[Role.ADMIN], "GET", "/staff", None),
        (staff[Role.ADMIN], "GET", "/staff/admin/staff", None),
    ]
    served = _Served(client)

    # When each of them opens their pages
    problems: dict[str, list[str]] = {}
    for visitor, method, path, form in visits:
        if visitor is not None:
            client.set_cookie(sessions.COOKIE_NAME, visitor)
        data = None if form is None else {"csrf_token": rh.follow_up_csrf(client), **form}
        response = client.open(path, method=method, data=data)
        assert response.mimetype == "text/html", path
        problems[f"{method} {path}"] = pinning_problems(response, served)

    # Then every script, stylesheet and module is pinned to the bytes the server sends
    assert {page: found for page, found in problems.items() if found} == {}
    # … and the walk went through every template that loads one
    loading = {n for n in template_names() if "asset_tag(" in template_source(n)}
    assert loading - templates_used_by(rendered_templates) == set()
