"""Typed access to the per-app objects that views and commands need."""

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from advisory.extensions import db
from advisory.services.sealed_input import KeyDirectory
from advisory.settings import Settings

Clock = Callable[[], datetime]


def current_settings() -> Settings:
    settings: Settings = current_app.extensions["advisory_settings"]
    return settings


def now() -> datetime:
    """The app's clock (aware UTC); tests replace `app.extensions["advisory_clock"]`."""
    clock: Clock = current_app.extensions["advisory_clock"]
    return clock()


def db_session() -> Session:
    """The request's (or command's) database session; the caller owns the commit."""
    return db.session()


def key_directory() -> KeyDirectory:
    """Which line each line key belongs to, remembered for this app's life."""
    directory: KeyDirectory = current_app.extensions["advisory_key_directory"]
    return directory


def data_key() -> bytes:
    """The instance's data key; a request that needs it cannot be served before `init`."""
    secrets = current_settings().secrets
    if secrets is None:
        raise RuntimeError("no data key: run `flask --app advisory init`")
    return secrets.data_key
