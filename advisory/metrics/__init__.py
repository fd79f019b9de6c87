"""Metrics for Prometheus, without identity: what is counted, and how /metrics is reached.

- `instruments.py`: what each process counts (requests by endpoint and status, sweep times);
- `readings.py`: the gauges read from the database at each scrape (cases, callbacks,
  deadlines at risk and breached, scheduler lag);
- `exposition.py`: one scrape, as Prometheus text;
- `server.py`: `flask --app advisory metrics`, /metrics alone on an address of its own.

Administrators can read the same text at /staff/admin/metrics (`advisory/admin/metrics.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, request

from advisory.metrics.exposition import MULTIPROCESS_VARIABLE, multiprocess_dir
from advisory.metrics.instruments import count_request
from advisory.settings import SettingsError


def register_metrics(app: Flask) -> None:
    """Count every answered request by its endpoint; make the multiprocess folder if named."""
    if MULTIPROCESS_VARIABLE in os.environ and not os.environ[MULTIPROCESS_VARIABLE].strip():
        # prometheus_client would count into the working directory.
        raise SettingsError(f"{MULTIPROCESS_VARIABLE}: set but empty; name a folder or unset it")
    folder = multiprocess_dir()
    if folder is not None:
        try:
            Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                f"{MULTIPROCESS_VARIABLE}: cannot create {folder!r} ({exc.strerror})"
            ) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SettingsError(f"{MULTIPROCESS_VARIABLE}: {folder!r} is not writable here")
    app.after_request(_count_request)


def _count_request(response: Response) -> Response:
    count_request(request.endpoint, request.method, response.status_code)
    return response
