"""The icon browsers ask every site for: served, cacheable, and the same for everyone."""

from __future__ import annotations

from advisory.security import FAVICON_MAX_AGE
from advisory.settings import PROJECT_ROOT

ICON = PROJECT_ROOT / "advisory" / "static" / "favicon.ico"


def test_favicon_is_served_with_a_long_cache_lifetime(bare_app):
    with bare_app.test_client().get("/favicon.ico") as response:
        body = response.get_data()

    assert response.status_code == 200
    assert response.mimetype in {"image/vnd.microsoft.icon", "image/x-icon"}
    assert body == ICON.read_bytes()
    assert body[:4] == b"\x00\x00\x01\x00"  # an icon file
    cache = response.cache_control
    assert cache.max_age == FAVICON_MAX_AGE.total_seconds() >= 7 * 24 * 3600
    assert not cache.no_store
    assert "Pragma" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_stay_out_of_every_cache(bare_app):
    # The exception for the icon is the icon's alone.
    response = bare_app.test_client().get("/")

    assert response.headers["Cache-Control"] == "no-store"
