"""Advisory Line: case intake and triage for an anonymous advisory line."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask, Response, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

from advisory.admin import bp as admin_bp
from advisory.assets import register_assets
from advisory.auth import bp as auth_bp
from advisory.cli import register_cli
from advisory.coordinator import bp as coordinator_bp
from advisory.database import register_database
from advisory.emergency_numbers import register_emergency_numbers
from advisory.health import bp as health_bp
from advisory.i18n import register_i18n
from advisory.lawyers import bp as lawyers_bp
from advisory.logging_config import configure_logging
from advisory.metrics import register_metrics
from advisory.notices import bp as notices_bp
from advisory.page_layout import register_page_layout
from advisory.page_line import register_line_prefix
from advisory.ratelimit import register_rate_limits
from advisory.reporter import bp as reporter_bp
from advisory.security import FAVICON_ENDPOINT, FAVICON_MAX_AGE, register_security
from advisory.services.sealed_input import KeyDirectory
from advisory.settings import PROJECT_ROOT, Settings, load_settings
from advisory.timestamps import utcnow
from advisory.uploads import keep_uploads_in_memory
from advisory.url_converters import register_url_converters

STATIC_FOLDER = PROJECT_ROOT / "advisory" / "static"


def create_app(config: Mapping[str, str] | Settings | None = None) -> Flask:
    """Build the application.

    `config` is either ready `Settings` or an environment-like mapping (tests pass a dict);
    by default the process environment is read.
    """
    if isinstance(config, Settings):
        settings = config
    else:
        settings = load_settings(os.environ if config is None else config)

    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.extensions["advisory_settings"] = settings
    app.extensions["advisory_clock"] = utcnow
    app.extensions["advisory_key_directory"] = KeyDirectory()

    configure_logging(app)
    register_metrics(app)  # first, so its count runs after every other response hook
    keep_uploads_in_memory(app)
    register_assets(app)  # before security: the CSP names the import map the pages carry
    register_line_prefix(app)  # before security: an unknown line is not found, whatever is sent
    register_proxies(app, settings)
    register_security(app, settings)
    register_database(app, settings)
    register_i18n(app, settings)
    register_emergency_numbers(app)
    register_page_layout(app)
    register_blueprints(app)
    register_rate_limits(app, settings)  # wraps views, so after the blueprints
    register_cli(app, settings)
    return app


def register_blueprints(app: Flask) -> None:
    register_url_converters(app)  # the rules below use them
    app.register_blueprint(reporter_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(lawyers_bp)
    app.register_blueprint(coordinator_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    # Browsers ask every site for /favicon.ico, whatever its pages say.
    app.add_url_rule("/favicon.ico", endpoint=FAVICON_ENDPOINT, view_func=favicon)


def favicon() -> Response:
    return send_from_directory(
        STATIC_FOLDER, "favicon.ico", max_age=int(FAVICON_MAX_AGE.total_seconds())
    )


def register_proxies(app: Flask, settings: Settings) -> None:
    """The client's address as the proxies in front say it (the rate limits count by it); a
    client talking to us directly could write that header itself, so only with proxies."""
    if settings.proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxies, x_proto=settings.proxies
        )
