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
    "Permissions-Policy": PERMISSIONS_POLICY,
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


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/csrf.html", reason=error.description), 400
