"""A scheduler process for tests/test_scheduler.py to kill at a chosen moment.

Runs every sweep once under the scheduler lock, as `flask --app advisory scheduler --once` does,
against the database the environment names (the test passes `base_env(...)`), with the clock
fixed. At the chosen moment it writes the marker file and sleeps, so the test can SIGKILL it
exactly there:

    --pause-in-notify N     right after the N-th notification, inside a sweep's transaction
    --pause-after SWEEP     right after that sweep committed, before the next one starts

    python tests/support/sweep_process.py NOW MARKER [--pause-in-notify N | --pause-after SWEEP]
        [--lock-key KEY]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from advisory import create_app, scheduler, scheduler_lock
from advisory.services import notifications

# Far longer than any test waits: the process is killed long before it wakes up.
PAUSE_SECONDS = 60


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("now", type=datetime.fromisoformat)
    parser.add_argument("marker", type=Path)
    parser.add_argument("--pause-in-notify", type=int)
    parser.add_argument("--pause-after")
    parser.add_argument("--lock-key", type=int, help="PostgreSQL advisory-lock key to use")
    args = parser.parse_args(argv)

    app = create_app()
    app.extensions["advisory_clock"] = lambda: args.now
    if args.lock_key is not None:
        scheduler_lock.POSTGRES_LOCK_KEY = args.lock_key

    def pause() -> None:
        args.marker.write_text("paused", encoding="utf-8")
        time.sleep(PAUSE_SECONDS)

    if args.pause_in_notify:
        real_notify, sent = notifications.notify, []

        def notify_then_pause(*notify_args: Any, **kwargs: Any) -> Any:
            created = real_notify(*notify_args, **kwargs)
            sent.append(created)
            if len(sent) == args.pause_in_notify:
                pause()
            return created

        notifications.notify = notify_then_pause

    if args.pause_after:
        real_run = scheduler.run_sweep_in

        def run_then_pause(app_: Any, name: str) -> int:
            changed = real_run(app_, name)
            if name == args.pause_after:
                pause()
            return changed

        scheduler.run_sweep_in = run_then_pause

    print(json.dumps(scheduler.run_all_sweeps_once(app)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
