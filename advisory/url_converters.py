"""URL converters: a path part that cannot name a row is "not found" before any view runs."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# The largest id a 64-bit signed primary key can hold, on SQLite and PostgreSQL alike.
MAX_ROW_ID = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """`<id:name>`: a positive whole number that fits a 64-bit key, else the route does not
    match (404). A larger number would otherwise reach the database and fail there."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def register_url_converters(app: Flask) -> None:
    """Before any blueprint: rules are compiled with the converters known at that moment."""
    app.url_map.converters["id"] = RowIdConverter
