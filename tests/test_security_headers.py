"""The security baseline every response carries: headers, CSRF, cookies, no inline code.

CSRF stays on in this whole module (STYLE.md, "Tests"): every app here is built by
`create_app` with the production security settings and checked not to have it switched off.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from advisory import create_app
from advisory.body_limits import limit_for
from advisory.security import PERMISSIONS_POLICY, RECORDING_ENDPOINTS, permissions_policy
from tests.conftest import base_env
from tests.reporter_helpers import page_of

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = REPO_ROOT / "templates"
TEMPLATE_FILES = sorted(TEMPLATES_DIR.rglob("*.html"))

EXACT_BASELINE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
DENIED_FEATURES = ("camera", "microphone", "geolocation")
ONE_YEAR_SECONDS = 365 * 24 * 60 * 60
HTTPS = "https://localhost"
SESSION_COOKIE = "advisory_session"
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


def import_map_of(page: str) -> str:
    found = IMPORT_MAP.findall(page)
    assert len(found) == 1, "a page carries exactly one import map"
    return str(found[0])


def hash_source(inline_script: str) -> str:
    digest = hashlib.sha256(inline_script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def expected_csp(client: FlaskClient) -> str:
    """Our origin only (and the blob: URLs our scripts make, for pictures, sound and frames);
    the one inline script allowed is the import map the pages carry."""
    import_map = import_map_of(client.get("/").get_data(as_text=True))
    return (
        f"default-src 'self'; script-src 'self' {hash_source(import_map)}; "
        "img-src 'self' blob:; media-src 'self' blob:; frame-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


@pytest.fixture
def visitor(bare_app: Flask) -> FlaskClient:
    """An anonymous visitor's client on an app with CSRF protection as in production."""
    assert bare_app.config.get("WTF_CSRF_ENABLED", True) is not False
    return bare_app.test_client()


def csrf_token_from(page: str) -> str:
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def fresh_token(client: FlaskClient, base_url: str = "http://localhost") -> str:
    return csrf_token_from(client.get("/", base_url=base_url).get_data(as_text=True))


def switch_language(client: FlaskClient, **extra: str) -> TestResponse:
    return client.post("/language", data={"language": "en", "next": "/", **extra})


def page_language(client: FlaskClient) -> str:
    match = re.search(r'<html lang="([a-z]+)">', client.get("/").get_data(as_text=True))
    assert match, "the landing page names its language"
    return match.group(1)


# --- every kind of response carries the baseline headers -------------------------------------


def _landing(client: FlaskClient) -> TestResponse:
    return client.get("/")


def _unknown_path(client: FlaskClient) -> TestResponse:
    return client.get("/no-such-page")


def _post_without_csrf_token(client: FlaskClient) -> TestResponse:
    return switch_language(client)


def _redirect_after_valid_post(client: FlaskClient) -> TestResponse:
    return switch_language(client, csrf_token=fresh_token(client))


def _static_file(client: FlaskClient) -> TestResponse:
    # The caller closes it (`with`): an unclosed file response is a ResourceWarning.
    return client.get("/static/css/site.css")


def _too_large_body(client: FlaskClient) -> TestResponse:
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    return client.post(
        "/language", data=b"x" * (limit + 1), content_type="application/x-www-form-urlencoded"
    )


RESPONSE_KINDS: list[tuple[str, Callable[[FlaskClient], TestResponse], int]] = [
    ("landing page", _landing, 200),
    ("unknown path", _unknown_path, 404),
    ("POST without CSRF token", _post_without_csrf_token, 400),
    ("redirect after a valid POST", _redirect_after_valid_post, 302),
    ("static file", _static_file, 200),
    ("body over MAX_CONTENT_LENGTH", _too_large_body, 413),
]


@pytest.mark.parametrize(
    ("request_for", "status"),
    [pytest.param(fn, status, id=name) for name, fn, status in RESPONSE_KINDS],
)
def test_every_kind_of_response_carries_the_baseline_headers(visitor, request_for, status):
    with request_for(visitor) as response:  # closes the static file's handle
        pass

    assert response.status_code == status
    for name, value in EXACT_BASELINE_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers.get_all("Content-Security-Policy") == [expected_csp(visitor)]
    features = _permissions_policy(response.headers.get("Permissions-Policy", ""))
    for feature in DENIED_FEATURES:
        assert features.get(feature) == "()", f"{feature} is not denied"


def _permissions_policy(header: str) -> dict[str, str]:
    directives = (part.strip() for part in header.split(","))
    return dict(d.split("=", 1) for d in directives if "=" in d)


# --- the microphone, for a voice message on the reporter's pages with the evidence field ----


@pytest.fixture
def reporter(client: FlaskClient, line_key: object) -> FlaskClient:
    """A visitor of a line that takes reports (its key is set up), CSRF on as in production."""
    assert client.application.config.get("WTF_CSRF_ENABLED", True) is not False
    return client


def _report_form(client: FlaskClient) -> TestResponse:
    return client.get("/report")


def _report_refused(client: FlaskClient) -> TestResponse:
    # The form shown again by the server: no kind chosen
    token = csrf_token_from(client.get("/report").get_data(as_text=True))
    return client.post("/report", data={"csrf_token": token, "narrative": "x"})


def _report_in_another_language(client: FlaskClient) -> TestResponse:
    token = csrf_token_from(client.get("/report").get_data(as_text=True))
    return client.post("/report/language", data={"csrf_token": token, "language": "en"})


def _follow_up(client: FlaskClient) -> TestResponse:
    return client.get("/follow-up")


RECORDING_PAGES: list[tuple[str, Callable[[FlaskClient], TestResponse], int]] = [
    ("report form", _report_form, 200),
    ("report form shown again", _report_refused, 400),
    ("report form in another language", _report_in_another_language, 200),
    ("follow-up page, where the script shows the inbox", _follow_up, 200),
]


@pytest.mark.parametrize(
    ("request_for", "status"),
    [pytest.param(fn, status, id=name) for name, fn, status in RECORDING_PAGES],
)
def test_pages_that_record_a_voice_message_allow_the_microphone_to_this_site_only(
    reporter, request_for, status
):
    response = request_for(reporter)

    assert response.status_code == status
    features = _permissions_policy(response.headers["Permissions-Policy"])
    assert features["microphone"] == "(self)"
    assert features["camera"] == features["geolocation"] == "()"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/stay-safe", 200),
        ("/staff/login", 200),  # a staff page
        ("/report/received/" + "A" * 43, 404),  # a receipt already shown
        ("/no-such-page", 404),
    ],
)
def test_every_other_page_denies_the_microphone(reporter, path, status):
    response = reporter.get(path)

    assert response.status_code == status
    features = _permissions_policy(response.headers["Permissions-Policy"])
    assert features["microphone"] == "()"


def test_the_microphone_is_allowed_on_reporter_pages_only(visitor):
    endpoints = set(visitor.application.view_functions)
    assert RECORDING_ENDPOINTS.issubset(endpoints)  # no name that matches nothing
    assert all(endpoint.startswith("reporter.") for endpoint in RECORDING_ENDPOINTS)
    assert permissions_policy(None) == permissions_policy("auth.login") == PERMISSIONS_POLICY


# --- CSRF --------------------------------------------------------------------------------------


def test_language_switch_without_csrf_token_is_refused_and_changes_nothing(visitor):
    response = switch_language(visitor)

    assert response.status_code == 400
    with visitor.session_transaction() as session:
        assert "lang" not in session
    assert page_language(visitor) == "nb"


@pytest.mark.parametrize(
    "wrong_token",
    [
        pytest.param(lambda _app: "not-a-token", id="garbage"),
        pytest.param(lambda app: fresh_token(app.test_client()), id="another visitor's token"),
        pytest.param(lambda _app: "", id="empty"),
    ],
)
def test_language_switch_with_a_wrong_csrf_token_is_refused(visitor, wrong_token):
    fresh_token(visitor)  # the visitor has a session with a token of their own

    response = switch_language(visitor, csrf_token=wrong_token(visitor.application))

    assert response.status_code == 400
    assert page_language(visitor) == "nb"


def test_every_reporter_post_without_the_token_is_refused_before_its_view(visitor):
    # The reporter forms carry no CSRF check of their own: CSRFProtect is the one check.
    refusal = _heading(switch_language(visitor))
    paths = sorted(
        rule.rule
        for rule in visitor.application.url_map.iter_rules()
        if rule.endpoint.startswith("reporter.") and "POST" in (rule.methods or ())
    )
    assert {"/report", "/follow-up"} <= set(paths)

    for path in paths:
        response = visitor.post(path, data={"code": "0000-0000-0000-0000-0000", "kind": "other"})
        assert (path, response.status_code, _heading(response)) == (path, 400, refusal)


def _heading(response: TestResponse) -> str:
    return page_of(response).one("h1").text.strip()


def test_language_switch_with_the_right_csrf_token_redirects_and_switches(visitor):
    response = switch_language(visitor, csrf_token=fresh_token(visitor))

    assert response.status_code == 302
    assert page_language(visitor) == "en"


def test_language_switch_over_https_works_without_a_referer(visitor):
    # Given a visitor on the HTTPS site, whose browser obeys Referrer-Policy: no-referrer
    token = fresh_token(visitor, base_url=HTTPS)
    # When they submit the form with the right token and, as the policy demands, no Referer
    response = visitor.post(
        "/language", base_url=HTTPS, data={"csrf_token": token, "language": "en", "next": "/"}
    )
    # Then the switch is accepted
    assert response.status_code == 302


# --- caching and transport ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_for", "status"),
    [
        pytest.param(fn, status, id=name)
        for name, fn, status in RESPONSE_KINDS
        if name != "static file"
    ],
)
def test_dynamic_responses_and_error_pages_are_never_cached(visitor, request_for, status):
    response = request_for(visitor)

    assert response.status_code == status
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("path", ["/", "/no-such-page"])
def test_hsts_is_sent_over_https_for_at_least_a_year(visitor, path):
    response = visitor.get(path, base_url=HTTPS)

    hsts = response.headers.get("Strict-Transport-Security", "")
    match = re.search(r"(?i)\bmax-age=(\d+)", hsts)
    assert match, f"no max-age in {hsts!r}"
    assert int(match.group(1)) >= ONE_YEAR_SECONDS


@pytest.mark.parametrize("path", ["/", "/no-such-page"])
def test_hsts_is_not_sent_over_plain_http(visitor, path):
    response = visitor.get(path, base_url="http://localhost")

    assert "Strict-Transport-Security" not in response.headers


# --- the session cookie ------------------------------------------------------------------------


def _env_with_secure_cookies(tmp_path: Path, value: str | None) -> dict[str, str]:
    env = base_env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    if value is None:
        env.pop("ADVISORY_SECURE_COOKIES")
    else:
        env["ADVISORY_SECURE_COOKIES"] = value
    return env


def _session_cookie_attributes(tmp_path: Path, secure_cookies: str | None) -> dict[str, str]:
    app = create_app(_env_with_secure_cookies(tmp_path, secure_cookies))
    assert app.config.get("WTF_CSRF_ENABLED", True) is not False
    # The landing page's language form puts a CSRF token in the session, so it sets the cookie.
    response = app.test_client().get("/")
    cookies = [c for c in response.headers.get_all("Set-Cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, response.headers.get_all("Set-Cookie")
    attributes = {}
    for part in cookies[0].split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


@pytest.mark.parametrize(
    ("secure_cookies", "expect_secure"),
    [
        pytest.param(None, True, id="variable not set (default)"),
        pytest.param("true", True, id="true"),
        pytest.param("false", False, id="false"),
    ],
)
def test_session_cookie_is_httponly_strict_and_secure_unless_switched_off(
    tmp_path, secure_cookies, expect_secure
):
    attributes = _session_cookie_attributes(tmp_path, secure_cookies)

    assert "httponly" in attributes
    assert attributes.get("samesite") == "Strict"
    assert ("secure" in attributes) is expect_secure


# --- no inline code, no third-party resources ---------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE_SCRIPT = re.compile(r"(?i)<script\b(?![^>]*\bsrc\s*=)[^>]*>")
STYLE_ELEMENT = re.compile(r"(?i)<style\b")
STYLE_ATTRIBUTE = re.compile(r"(?i)\sstyle\s*=")
EVENT_HANDLER = re.compile(r"(?i)\son[a-z]+\s*=")
JAVASCRIPT_URL = re.compile(r"(?i)javascript\s*:")
POST_FORM = re.compile(r"(?is)<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>(.*?)</form>")


def inline_code_problems(markup: str) -> list[str]:
    """Everything a CSP without 'unsafe-inline' would block, or that smuggles script in."""
    problems = [f"inline script: {m.group()}" for m in INLINE_SCRIPT.finditer(markup)]
    problems += [f"style element: {m.group()}" for m in STYLE_ELEMENT.finditer(markup)]
    problems += [f"javascript: URL near {m.group()}" for m in JAVASCRIPT_URL.finditer(markup)]
    for tag in TAG.findall(markup):
        if STYLE_ATTRIBUTE.search(tag):
            problems.append(f"style attribute: {tag}")
        if EVENT_HANDLER.search(tag):
            problems.append(f"event handler attribute: {tag}")
    return problems


def post_forms_without_csrf_token(markup: str) -> list[str]:
    return [m.group() for m in POST_FORM.finditer(markup) if "csrf_token" not in m.group(1)]


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<SCRIPT type="module">x()</SCRIPT>',
        "<style>body{}</style>",
        '<p style="color:red">',
        '<button onclick="go()">',
        "<body onload=go()>",
        '<a href="javascript:go()">',
        '<form method="post" action="/x"><button>Send</button></form>',
    ],
)
def test_template_checks_catch_known_bad_markup(markup):
    assert inline_code_problems(markup) or post_forms_without_csrf_token(markup)


def test_template_checks_accept_clean_markup():
    markup = (
        '<script src="/static/js/x.js"></script><p class="note" lang="en">on time</p>'
        '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'
    )
    assert inline_code_problems(markup) == []
    assert post_forms_without_csrf_token(markup) == []


def test_there_are_templates_to_check():
    assert TEMPLATE_FILES, f"no templates found under {TEMPLATES_DIR}"


@pytest.mark.parametrize(
    "template", TEMPLATE_FILES, ids=[str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATE_FILES]
)
def test_template_has_no_inline_script_or_style(template):
    assert inline_code_problems(template.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "template", TEMPLATE_FILES, ids=[str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATE_FILES]
)
def test_every_post_form_in_templates_carries_a_csrf_token(template):
    assert post_forms_without_csrf_token(template.read_text(encoding="utf-8")) == []


class _ResourceCollector(HTMLParser):
    """URLs the browser would fetch by itself: scripts, styles, images, frames, media."""

    URL_ATTRIBUTES = {
        "script": "src",
        "link": "href",
        "img": "src",
        "iframe": "src",
        "frame": "src",
        "source": "src",
        "audio": "src",
        "video": "src",
        "track": "src",
        "embed": "src",
        "object": "data",
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self.URL_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == wanted and value is not None:
                self.urls.append(value)


@pytest.mark.parametrize(
    "request_for",
    [
        pytest.param(_landing, id="landing page"),
        pytest.param(_post_without_csrf_token, id="CSRF error page"),
    ],
)
def test_rendered_pages_load_nothing_from_other_origins_and_have_no_inline_code(
    visitor, request_for
):
    response = request_for(visitor)
    page = response.get_data(as_text=True)

    collector = _ResourceCollector()
    collector.feed(page)
    assert any(url.endswith("/static/css/site.css") for url in collector.urls)
    external = [url for url in collector.urls if urlsplit(url).scheme or urlsplit(url).netloc]
    assert external == []
    # The one inline script is the import map, allowed by its hash alone.
    import_map = import_map_of(page)
    policy = response.headers["Content-Security-Policy"]
    assert hash_source(import_map) in policy
    assert "unsafe-inline" not in policy
    without_map = page.replace(f'<script type="importmap">{import_map}</script>', "")
    assert inline_code_problems(without_map) == []


# --- request size ------------------------------------------------------------------------------


def test_max_content_length_is_set(visitor):
    limit = visitor.application.config.get("MAX_CONTENT_LENGTH")
    assert isinstance(limit, int)
    assert 0 < limit <= 1024 * 1024


def test_body_over_the_limit_is_refused_with_413_and_one_at_the_limit_is_read(visitor):
    limit = limit_for("reporter.change_language")
    form = "application/x-www-form-urlencoded"
    at_limit = b"language=" + b"x" * (limit - len(b"language="))

    assert visitor.post("/language", data=at_limit, content_type=form).status_code == 400
    assert visitor.post("/language", data=at_limit + b"x", content_type=form).status_code == 413


def test_an_oversized_post_gets_a_page_that_says_what_to_do(visitor):
    limit = limit_for("reporter.change_language")
    body = b"next=" + b"x" * limit
    response = visitor.post(
        "/language", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert f"({limit // 1024} kB)" in page  # the limit, in the page's language (nb)
    assert "Ingenting ble lagret" in page
