"""Rate limits on the anonymous surface, counted without ever storing who is counted.

DESIGN.md invariant 2: the limiter never sees an address. Its key for a request is
HMAC-SHA256(day key, client address), hex, where the day key is HMAC-SHA256 over the UTC date
under a subkey of the instance secret. Keys therefore change at midnight UTC, cannot be linked
from one day to the next, and cannot be reversed or recomputed from an address without the
secret. Before `flask init` there is no secret, and a random key of this process stands in.
The counters live in memory or in Redis (ADVISORY_RATELIMIT_STORAGE), where each expires with
its window; nothing of them reaches the database, and the limiter's log lines lose the key.

The address is `request.remote_addr` and nothing else: X-Forwarded-For is never read here.
Behind a reverse proxy every client would share the proxy's address, so with
ADVISORY_PROXIES set the factory puts werkzeug's ProxyFix in front (`register_proxies`), and
remote_addr is the client's address as the proxies say it.

Only posts are limited: sending a report (ADVISORY_REPORT_LIMIT) and every post that looks
a case up by its code (ADVISORY_LOOKUP_LIMIT, one budget shared by all of them). The lookup
budget is spent only by posts whose code opened no case (the view says so with
`count_failed_lookup`): behind a workplace's Wi-Fi or a mobile carrier many people share one
address, and each of them may open their own case as often as they like. Guessing codes is
what the budget stops, so once the failures have used it up every lookup from that address
waits, a right code too (else a guess would still be answered, only more slowly). Over the
limit the answer is 429 with the same page again, everything typed kept except the phone
number (which the report form never echoes), and the local time at which to try again; a
blueprint registers those pages (`register_limited_pages`, advisory/reporter/rate_limited.py),
so this module knows no blueprint.
"""

from __future__ import annotations

import bisect
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import cast

from flask import Flask, current_app, g, render_template, request
from flask.sansio.app import App
from flask.typing import RouteCallable
from flask_babel import format_datetime, to_user_timezone
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded, RequestLimit
from limits.storage import MovingWindowSupport, Storage
from werkzeug.wrappers import Response

import crypto
from advisory.context import current_settings, now
from advisory.extensions import limiter
from advisory.settings import Settings

KEY_HEX_CHARS = 32  # 128 bits of the HMAC: plenty to tell clients apart
LOOKUP_SCOPE = "code-lookup"
# Flask-Limiter's own log lines name the key; this finds it there (see _HideKeys).
_KEY_PATTERN = re.compile(rf"\b[0-9a-f]{{{KEY_HEX_CHARS}}}\b")
# A Redis that stops answering must not hold a reporter's request for long: after this the
# limiter counts in memory until Redis is back.
_REDIS_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 2}


def client_key(master: bytes, address: str, day: date) -> str:
    """The rate-limit key of `address` on `day` (UTC): a keyed hash, never the address."""
    day_key = hmac.digest(master, day.isoformat().encode("ascii"), "sha256")
    return hmac.new(day_key, address.encode("utf-8"), "sha256").hexdigest()[:KEY_HEX_CHARS]


@dataclass(frozen=True)
class DailyKeys:
    """The key function of one app: the current request's address under today's key."""

    master: bytes = field(repr=False)

    def __call__(self) -> str:
        return client_key(self.master, request.remote_addr or "", now().astimezone(UTC).date())


# Limits are read per request from the app's own settings, so one limiter serves every app.
def _report_limit() -> str:
    return current_settings().report_limit


def _lookup_limit() -> str:
    return current_settings().lookup_limit


def count_failed_lookup() -> None:
    """Charge this request to the lookup budget: the case code it sent opened no case."""
    g.advisory_failed_lookup = True


def _lookup_failed(_response: Response) -> bool:
    return bool(g.get("advisory_failed_lookup", False))


REPORT_LIMIT = limiter.limit(_report_limit, methods=["POST"])
# Checked before every lookup, spent after a failed one only.
LOOKUP_LIMIT = limiter.shared_limit(
    _lookup_limit, scope=LOOKUP_SCOPE, methods=["POST"], deduct_when=_lookup_failed
)
# Evidence uploads, together per client: a report's 25 MB go in about 30 requests.
UPLOAD_LIMIT = limiter.shared_limit(
    "300 per hour; 1500 per day", scope="uploads", methods=["POST", "PUT"]
)
LIMITED_VIEWS = {
    # An upload for a case's next message names the case by its lookup token: a failed one
    # counts as any failed lookup.
    "reporter.begin_upload": (UPLOAD_LIMIT, LOOKUP_LIMIT),
    "reporter.upload_chunks": (UPLOAD_LIMIT,),
    "reporter.submit_report": (REPORT_LIMIT,),
    "reporter.open_inbox": (LOOKUP_LIMIT,),
    "reporter.send_message": (LOOKUP_LIMIT,),
    "reporter.cancel": (LOOKUP_LIMIT,),
    "reporter.rebook": (LOOKUP_LIMIT,),
    "reporter.erase": (LOOKUP_LIMIT,),
    # A file sent with a reply, fetched with the code: a lookup like any other inbox post.
    "reporter.reply_file": (LOOKUP_LIMIT,),
}


def register_rate_limits(app: Flask, settings: Settings) -> None:
    """Bind the limiter and wrap the limited views; call after `register_blueprints`."""
    master = (
        crypto.derive_subkey(settings.secrets.secret_key, "ratelimit")
        if settings.secrets is not None
        else secrets.token_bytes(32)
    )
    app.extensions["advisory_ratelimit_key"] = DailyKeys(master)
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(settings.ratelimit_storage)
    if not settings.ratelimit_storage.startswith("memory://"):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = _REDIS_TIMEOUTS
    # Flask-Limiter keeps one storage per limiter: the app bound last counts for all apps of
    # the process (one in production; tests that build several set their own limits).
    limiter.init_app(app)
    for endpoint, limits in LIMITED_VIEWS.items():
        for limit in limits:
            app.view_functions[endpoint] = cast(RouteCallable, limit(app.view_functions[endpoint]))
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    _hide_keys_in(logging.getLogger("flask-limiter"))


# --- counting in memory without a thread per request ------------------------------------------


@dataclass(slots=True)
class _Hits:
    """The times of one key's hits, oldest first, and the longest window they were counted in."""

    window: float
    times: list[float] = field(default_factory=list)


class SweptMemoryStorage(Storage, MovingWindowSupport):
    """Counts in this process's memory, with passed windows dropped inline once a second.

    Written against limits' public storage interface (a `Storage` with `MovingWindowSupport`,
    found by its scheme) in place of limits' own memory storage, which starts a timer thread
    after nearly every hit to drop what has passed: under a steady stream of reports a thread
    start per request, which cost more CPU than the counting itself. Each hit here is judged
    by its timestamps exactly as limits' memory storage judges it (moving window, and fixed
    window counters for completeness); the sweep only frees memory, at most a second late.
    """

    STORAGE_SCHEME = ["advisory-memory"]  # limits' storage_from_string finds it by this
    SWEEP_SECONDS = 1.0

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._lock = threading.Lock()  # one for all keys: each hit holds it for microseconds
        self._hits: dict[str, _Hits] = {}
        self._counters: dict[str, tuple[int, float]] = {}  # key -> (count, expires at)
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    # The moving window, the strategy the limiter uses (advisory/extensions.py).

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        moment = time.time()
        with self._lock:
            self._sweep_if_due()
            hits = self._hits.setdefault(key, _Hits(expiry))
            # The oldest hit that would still count beside the new ones: while it is inside
            # the window, there is no room.
            oldest_kept = len(hits.times) - (limit - amount) - 1
            if oldest_kept >= 0 and hits.times[oldest_kept] >= moment - expiry:
                return False
            hits.window = max(hits.window, expiry)
            hits.times.extend([moment] * amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """When the oldest hit inside the window was made, and how many hits it holds."""
        moment = time.time()
        with self._lock:
            times = self._hits[key].times if key in self._hits else []
            first = bisect.bisect_right(times, moment - expiry)
            inside = len(times) - first
            return (times[first] if inside else moment), inside

    # Fixed window counters: part of every limits storage.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        moment = time.time()
        with self._lock:
            self._sweep_if_due()
            count, expires = self._counters.get(key, (0, 0.0))
            if expires <= moment:
                count, expires = 0, moment + expiry
            self._counters[key] = (count + amount, expires)
            return count + amount

    def get(self, key: str) -> int:
        count, expires = self._counters.get(key, (0, 0.0))
        return count if expires > time.time() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, time.time()))[1]

    def check(self) -> bool:
        return True

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
            self._counters.pop(key, None)

    def reset(self) -> int | None:
        with self._lock:
            dropped = max(len(self._hits), len(self._counters))
            self._hits.clear()
            self._counters.clear()
            return dropped

    # Housekeeping.

    def _sweep_if_due(self) -> None:
        moment = time.monotonic()
        if moment >= self._next_sweep:
            self._next_sweep = moment + self.SWEEP_SECONDS
            self._drop_passed(time.time())

    def sweep(self) -> None:
        """Drop the hits and counters whose windows have passed."""
        with self._lock:
            self._drop_passed(time.time())

    def _drop_passed(self, moment: float) -> None:
        for key, hits in list(self._hits.items()):
            # A hit exactly a window old still counts in `acquire_entry`, so it stays.
            del hits.times[: bisect.bisect_left(hits.times, moment - hits.window)]
            if not hits.times:
                del self._hits[key]
        for key in [key for key, (_count, expires) in self._counters.items() if expires <= moment]:
            del self._counters[key]


def storage_uri(configured: str) -> str:
    """The limiter's storage: Redis as configured, or memory without a thread per hit."""
    if configured.startswith("memory://"):
        return "advisory-memory://" + configured.removeprefix("memory://")
    return configured


# --- the 429 page: the same page again, with when to try again ---------------------------------


LimitedPage = Callable[[datetime | None], str]
PAGES_KEY = "advisory_rate_limited_pages"


def register_limited_pages(app: App, pages: Mapping[str, LimitedPage]) -> None:
    """A blueprint's own 429 pages, by endpoint: the same page again, with when to retry."""
    app.extensions.setdefault(PAGES_KEY, {}).update(pages)


def _rate_limited(error: RateLimitExceeded) -> tuple[str, int]:
    when = _try_again_at(limiter.current_limit)
    pages: Mapping[str, LimitedPage] = current_app.extensions.get(PAGES_KEY, {})
    page = pages.get(request.endpoint or "", plain_page)
    return page(when), 429


def _try_again_at(limit: RequestLimit | None) -> datetime | None:
    """When the breached limit lets one more through, rounded up to the minute (aware UTC)."""
    if limit is None:
        return None
    try:
        reset = limit.reset_at
    except Exception:  # the storage went away just now; the page then says "later"
        return None
    moment = datetime.fromtimestamp(reset, UTC)
    minute = moment.replace(second=0, microsecond=0)
    return minute if minute == moment else minute + timedelta(minutes=1)


def _when_text(when: datetime | None) -> str:
    if when is None:
        return _("Please try again later.")
    # The limiter counts in real time, so "today" is the real date here, not the app's clock.
    today = to_user_timezone(datetime.fromtimestamp(time.time(), UTC)).date()
    same_day = to_user_timezone(when).date() == today
    shown = format_datetime(when, "HH:mm" if same_day else _("EEEE HH:mm"))
    return _("Please try again after %(time)s.", time=shown)


def too_many(when: datetime | None, *more: str) -> str:
    return " ".join([_why_limited(), _when_text(when), *more])


def _why_limited() -> str:
    if LIMITED_VIEWS.get(request.endpoint or "") == (LOOKUP_LIMIT,):
        return _(
            "Several case codes that match no case were tried from your connection in a short"
            " while (at a workplace or on a mobile network, many people can share one)."
        )
    return _("We have had many requests like this from your connection in a short while.")


def plain_page(when: datetime | None) -> str:
    return render_template("errors/rate_limited.html", message=too_many(when))


# --- logs ---------------------------------------------------------------------------------------


class _HideKeys(logging.Filter):
    """Flask-Limiter logs the key of a client over its limit; the line keeps all but the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = _KEY_PATTERN.sub("<key>", message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


def _hide_keys_in(logger: logging.Logger) -> None:
    if not any(isinstance(f, _HideKeys) for f in logger.filters):
        logger.addFilter(_HideKeys())
