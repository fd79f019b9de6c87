"""Two copies of one upload request at once (a retry while the first is still on its way) take
turns on the upload's row: both are answered, neither with a server error (PostgreSQL, where
writers do not queue for the whole database as on SQLite)."""

from __future__ import annotations

import contextlib
import threading
import uuid

import pytest
from flask_migrate import upgrade

from advisory import create_app
from advisory.extensions import db
from advisory.services import attachments
from tests.conftest import DEFAULT_NOW, base_env
from tests.migration_fixture import empty_database_url
from tests.reporter_helpers import follow_up_csrf, streamed_file
from tests.test_attachments import FORM_TOKEN


@pytest.fixture
def postgres_app(tmp_path, monkeypatch):
    with empty_database_url("postgresql", tmp_path, "upload_races") as url:
        app = create_app(base_env(tmp_path, url))
        app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


def test_a_chunk_batch_sent_twice_at_once_is_stored_once_and_both_are_answered(
    postgres_app, monkeypatch
):
    client = postgres_app.test_client()
    csrf = follow_up_csrf(client)
    file = streamed_file(b"x" * 3_000_000, "a.txt", "text/plain")
    begun = client.post(
        "/api/v1/uploads",
        data={
            "submission_token": FORM_TOKEN[:-4] + uuid.uuid4().hex[:4],
            "padded_bytes": str(len(file.padded)),
        },
        headers={"X-CSRFToken": csrf},
    )
    assert begun.status_code == 201, begun.get_json()
    token = begun.get_json()["upload"]
    # Both requests read the upload before either writes, unless the first holds its row.
    barrier = threading.Barrier(2)
    sizes = attachments._chunk_sizes

    def meeting(*args):  # noqa: ANN002, ANN202
        # Broken when the other waits for the row instead: they take turns.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return sizes(*args)

    monkeypatch.setattr(attachments, "_chunk_sizes", meeting)
    answers: list[int] = []

    def send() -> None:
        answer = client.put(
            "/api/v1/uploads/chunks/0",
            data=b"".join(file.chunks[:16]),
            headers={"X-CSRFToken": csrf, "Upload-Token": token},
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 200]
    progress = client.get("/api/v1/uploads/progress", headers={"Upload-Token": token})
    assert progress.get_json()["next"] == 16
