"""The app as `wsgi.py` builds it, plus two routes that only the benchmarks use.

    gunicorn -c gunicorn.conf.py 'bench.bench_app:create_bench_app()'

They are the floors that the product's routes are measured against: the same gunicorn worker,
the same Flask app (session cookie, CSRF check, rate-limit wrapper of nothing, security
headers), the same SQLAlchemy session, rows inserted and committed; but nothing else.

- `POST /bench/baseline` (bench/intake.py): one `Notification` row; no form, no triage, no
  slots, no template.
- `PUT /bench/chunks/<first>` (bench/attachments.py): the body, a batch of sealed chunks,
  cut into pieces of `SEALED_CHUNK_BYTES` and inserted as `AttachmentChunk` rows numbered from
  `first` under the attachment its `Bench-Attachment` header names (a dummy the benchmark
  made); no upload token, no progress, no checks of sizes or order. It takes a body as large
  as the product's chunk route does.

The routes are added to the app object built here only: the product's blueprints, extensions
and `wsgi.py` are untouched, and CSRF stays on (the client sends the token of its session, as
it does for the product's routes). Importing this module builds nothing.
"""

from __future__ import annotations

from flask import Flask, abort, request

from advisory import create_app
from advisory.body_limits import CHUNK_BATCH, ROUTE_LIMITS
from advisory.context import db_session, now
from advisory.models import AttachmentChunk, Notification
from crypto.stream import SEALED_CHUNK_BYTES

BASELINE_PATH = "/bench/baseline"
BASELINE_KIND = "bench-baseline"  # Notification.kind of the rows the baseline inserts
BASELINE_KEY_PREFIX = "bench:"  # + the client's key: the unique dedupe_key of each row
CHUNKS_PATH = "/bench/chunks"  # + "/<first>"
CHUNKS_ENDPOINT = "bench_chunks"
CHUNKS_ATTACHMENT_HEADER = "Bench-Attachment"  # the id of the attachment the chunks go under


def create_bench_app() -> Flask:
    """`create_app()` with settings from the environment, as wsgi.py, plus the baselines."""
    app = create_app()
    if not app.extensions["advisory_settings"].initialised:
        raise SystemExit("bench_app: the instance has no secrets; bench/intake.py sets them.")
    app.add_url_rule(BASELINE_PATH, endpoint="bench_baseline", view_func=baseline, methods=["POST"])
    app.add_url_rule(
        f"{CHUNKS_PATH}/<int:first>", endpoint=CHUNKS_ENDPOINT, view_func=chunks, methods=["PUT"]
    )
    # body_limits gives a route it does not name a small form's limit; this one takes the body
    # of the product's chunk route. Only in the process that serves this app.
    ROUTE_LIMITS.setdefault(CHUNKS_ENDPOINT, CHUNK_BATCH)
    return app


def baseline() -> tuple[str, int]:
    """Insert one row named by the client's `key` and commit it; 200 means stored."""
    key = request.form.get("key", "")
    if not 0 < len(key) <= 100:
        abort(400)
    db_session().add(
        Notification(kind=BASELINE_KIND, dedupe_key=BASELINE_KEY_PREFIX + key, created_at=now())
    )
    db_session().commit()
    return "stored\n", 200


def chunks(first: int) -> tuple[str, int]:
    """Insert the body's sealed chunks under the header's attachment and commit; 200: stored."""
    attachment = request.headers.get(CHUNKS_ATTACHMENT_HEADER, "")
    body = request.get_data()
    if not (attachment.isascii() and attachment.isdigit() and len(attachment) <= 18) or not body:
        abort(400)
    db_session().add_all(
        AttachmentChunk(
            attachment_id=int(attachment), seq=seq, sealed=body[at : at + SEALED_CHUNK_BYTES]
        )
        for seq, at in enumerate(range(0, len(body), SEALED_CHUNK_BYTES), start=first)
    )
    db_session().commit()
    return "stored\n", 200
