"""Security baseline applied to every response: CSRF, cookies, headers, and body sizes.

A body over its route's limit (advisory/body_limits.py) is answered 413 once the rest of it
has been read (advisory/too_large.py): a plain page in the visitor's language with a way
back. The reporter's forms come back with what could be kept of them (their blueprint's own
handler, advisory/reporter/too_large.py).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from advisory.assets import import_map_csp_source
from advisory.body_limits import register_body_limits
from advisory.extensions import csrf
from advisory.settings import Settings
from advisory.too_large import answer_too_large

# Scripts come from our own origin; the one inline script allowed is the page's import map
# (advisory/assets.py), named by its SHA-256 in place of {import_map}. Pictures, sound and
# frames may also be blob: URLs, which only our own scripts make: the case page shows an
# evidence file it opened in the browser that way (static/js/evidence-view.js).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' {import_map}; "
    "img-src 'self' blob:; media-src 'self' blob:; frame-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
# The microphone is allowed, to our own origin only, on the pages where a reporter may
# record a voice message (static/js/voice.js): the report form, however it is shown, and the
# follow-up page, in which the script shows the inbox and its message form. An inbox sent as
# a whole page (a post without the script) has no recorder, and keeps the microphone off.
RECORDING_PERMISSIONS_POLICY = "camera=(), microphone=(self), geolocation=(), interest-cohort=()"
RECORDING_ENDPOINTS = frozenset(
    {
        "reporter.report_form",
        "reporter.submit_report",
        "reporter.report_in_language",
        "reporter.follow_up",
    }
)
HSTS = "max-age=63072000; includeSubDomains"
# The one address outside /static that may be cached: the icon, the same for everyone.
FAVICON_ENDPOINT = "favicon"
FAVICON_MAX_AGE = timedelta(days=30)
CACHEABLE_ENDPOINTS = frozenset({"static", FAVICON_ENDPOINT})

# Headers every response carries, whatever produced it.
BASELINE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # A script without integrity metadata is refused outright, so a mistake fails closed.
    "Integrity-Policy": "blocked-destinations=(script)",
}


def register_security(app: Flask, settings: Settings) -> None:
    if settings.secrets is not None:
        app.config["SECRET_KEY"] = settings.secrets.secret_key
    app.config.update(
        SESSION_COOKIE_NAME="advisory_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; forms can take long
        # Flask-WTF's HTTPS check wants a same-origin Referer, which our no-referrer policy
        # never sends; the token plus the SameSite=Strict cookie already stop cross-site posts.
        WTF_CSRF_SSL_STRICT=False,
    )
    register_body_limits(app)  # before CSRF: its check is the first to read a form
    csrf.init_app(app)
    app.after_request(apply_security_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(RequestEntityTooLarge, answer_too_large)


def apply_security_headers(response: Response) -> Response:
    for name, value in BASELINE_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Permissions-Policy", permissions_policy(request.endpoint))
    response.headers.setdefault(
        "Content-Security-Policy",
        CONTENT_SECURITY_POLICY.format(import_map=import_map_csp_source()),
    )
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    # Nothing we serve dynamically may linger in a shared or borrowed device's cache.
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def permissions_policy(endpoint: str | None) -> str:
    """No page may use the camera, the microphone or the location, but for the microphone on
    the pages where a reporter may record a voice message."""
    return RECORDING_PERMISSIONS_POLICY if endpoint in RECORDING_ENDPOINTS else PERMISSIONS_POLICY


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html", reason=error.description), 400
