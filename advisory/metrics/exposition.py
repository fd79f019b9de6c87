"""One scrape: this deployment's figures in Prometheus text format.

Each scrape builds a registry of its own: the instruments of every process that counts (from
PROMETHEUS_MULTIPROC_DIR when it is set, else of this process alone) and the gauges read from
the database just now. Called inside an app context, by the admin page and by the server of
`flask --app advisory metrics`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.wrappers import Response

from advisory.context import current_settings, db_session, now
from advisory.metrics.instruments import INSTRUMENTS
from advisory.metrics.readings import database_families

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The folder where every process's counts live, or None: each process counts alone."""
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


def metrics_text() -> bytes:
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder is not None:
        MultiProcessCollector(registry, path=folder)
    else:
        for instrument in INSTRUMENTS:
            registry.register(instrument)
    registry.register(_Readings(database_families(db_session(), current_settings(), now())))
    return generate_latest(registry)


def metrics_response() -> Response:
    response = Response(metrics_text(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response


class _Readings:
    """Families already read, handed to the registry as a collector."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families
