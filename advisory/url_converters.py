"""URL converters: a path part that cannot name a row is "not found" before any view runs."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter, Map

# The largest id our primary keys hold: INTEGER, 32 bits on PostgreSQL (64 on SQLite).
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """A row id given as text (a query argument, a form field): ASCII digits naming a number
    from 1 to MAX_ROW_ID, else None. `int()` alone takes "١", " 1" and "1_0", and any length."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ROW_ID))):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None


class RowIdConverter(IntegerConverter):
    """`<id:name>`: a positive whole number that fits a primary key, else the route does not
    match (404). A larger number would otherwise reach the database and fail there."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


class ReferenceConverter(BaseConverter):
    """`<ref:name>`: what can be a public case reference (`K7QF-9M2X`, any letter case, at
    most the column's 9 characters), else 404. A NUL or a long string never reaches the
    database, where PostgreSQL would refuse it with an error."""

    regex = "[0-9A-Za-z-]{1,9}"


def register_url_converters(app: Flask) -> None:
    """Before any blueprint: rules are compiled with the converters known at that moment."""
    app.url_map.converters["id"] = RowIdConverter
    app.url_map.converters["ref"] = ReferenceConverter
