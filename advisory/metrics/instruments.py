"""What a process counts for /metrics: requests by endpoint and status, sweep durations.

Plain prometheus_client metrics, made once per process and registered nowhere: each scrape
builds its own registry (`exposition.py`). Their labels are names from the code (an endpoint,
a method from a fixed list, a status code, a sweep), never a path, an address, a user agent or
anything a client wrote.

Several processes count together through prometheus_client's multiprocess mode: with
PROMETHEUS_MULTIPROC_DIR set when a process starts, every value it counts lives in a file of
its own in that folder, and a scrape adds the files up. Without it, each process counts alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram, disable_created_metrics

logger = logging.getLogger(__name__)

# Endpoint label of a request no route matched (an unknown path, or a method a route refuses).
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

REQUESTS = Counter(
    "advisory_http_requests",
    "Requests answered, by endpoint (the route's name, never its path), method and status.",
    ("endpoint", "method", "status"),
    registry=None,
)
SWEEP_SECONDS = Histogram(
    "advisory_sweep_duration_seconds",
    "How long each scheduler sweep took, its commit included.",
    ("sweep",),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=None,
)
SWEEP_FAILURES = Counter(
    "advisory_sweep_failures",
    "Sweeps that failed and were rolled back (the next tick runs them again).",
    ("sweep",),
    registry=None,
)
INSTRUMENTS = (REQUESTS, SWEEP_SECONDS, SWEEP_FAILURES)
# No `_created` series: each would give the moment of a label's first count to the microsecond
# (the first report since a start, say); counts read every scrape interval say enough. The
# multiprocess mode writes none either.
disable_created_metrics()


def count_request(endpoint: str | None, method: str, status: int) -> None:
    """One answered request; `endpoint` is the matched rule's name (None: no rule matched).

    Counting comes after the view committed: a count that cannot be written (the folder
    gone, the disk full) is logged and lost, never the reporter's answer."""
    method = method if method in METHODS else OTHER_METHOD
    with _never_failing("a request"):
        REQUESTS.labels(endpoint or UNMATCHED, method, str(status)).inc()


@contextmanager
def timed_sweep(name: str) -> Iterator[None]:
    """Time the block as sweep `name`; a block that raises also counts as a failure."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        with _never_failing("a sweep failure"):
            SWEEP_FAILURES.labels(name).inc()
        raise
    finally:
        with _never_failing("a sweep's duration"):
            SWEEP_SECONDS.labels(name).observe(time.perf_counter() - started)


@contextmanager
def _never_failing(what: str) -> Iterator[None]:
    try:
        yield
    except Exception:
        logger.exception("metrics: %s could not be counted", what)
