"""Flask extensions, created unbound; `create_app` binds them."""

from collections.abc import Callable
from typing import ClassVar

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations name the same thing on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # The columns a row's repr shows: never one that holds case content or a secret, so that
    # a row in a log line or a traceback gives nothing away (tests/test_models.py).
    shown_in_repr: ClassVar[tuple[str, ...]] = ("id",)

    def __repr__(self) -> str:
        shown = " ".join(f"{name}={getattr(self, name, None)}" for name in self.shown_in_repr)
        return f"<{type(self).__name__} {shown}>"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel(configure_jinja=False)  # advisory/i18n.py installs the template texts


def _rate_limit_key() -> str:
    """The client's rate-limit key, made per app by `advisory.ratelimit` (never the address)."""
    make_key: Callable[[], str] = current_app.extensions["advisory_ratelimit_key"]
    return make_key()


# Storage (RATELIMIT_STORAGE_URI), limits and the 429 page: `advisory.ratelimit`.
limiter = Limiter(
    _rate_limit_key,
    default_limits=[],
    strategy="moving-window",
    headers_enabled=False,
    in_memory_fallback_enabled=True,
)
