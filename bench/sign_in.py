"""How long a lawyer's browser takes to sign in: derive the keys, unwrap, open the grant.

    .venv/bin/python -m bench.sign_in [--runs 10]

Builds a throw-away instance (SQLite in a temporary folder, a line key, the demo lawyer with
a key pair and a grant, as `init --demo` makes them), serves it on a free loopback port, and
drives the system Chromium (/usr/bin/chromium; never a downloaded one) through:

- `derive`: PBKDF2-SHA256 at the production count and the HKDF split
  (`deriveStaffCredentials`), the part the password's strength rests on;
- `unlock`: unwrapping the lawyer's own private key and opening the line-key grant with it;
- `sign-in`: the whole sign-in page once, from the click to the staff home with the keys
  kept, including the server's argon2id check of the authentication key.

It prints the minimum, median and maximum of each in milliseconds. The target for
derive + unlock is under one second on the machine the line's lawyers use.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyotp
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

import crypto
from advisory import create_app
from advisory.extensions import db
from advisory.services.demo import create_demo_staff
from advisory.services.line_keys import initialise_line
from advisory.services.staff_keys import key_material
from bench.intake import free_port, server_env

CHROMIUM = "/usr/bin/chromium"
TIMING = """async ({ password, instance, username, material, runs }) => {
  const hpke = await import("/static/js/hpke.js");
  const derive = [], unlock = [];
  for (let i = 0; i < runs; i += 1) {
    let start = performance.now();
    const { wrapKey } = await hpke.deriveStaffCredentials(password, instance, username);
    derive.push(performance.now() - start);
    start = performance.now();
    const own = await hpke.unwrapStaffPrivateKey(
      material.wrappedPrivateKey, wrapKey, material.staffId);
    for (const { keyId, grant } of material.grants) {
      await hpke.openGrant(grant, keyId, material.staffId, own);
    }
    unlock.push(performance.now() - start);
  }
  return { derive, unlock };
}"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        instance_path = Path(folder)
        secret_hex = {
            f"ADVISORY_{name}": secrets.token_hex(32)
            for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
        }
        env = server_env(instance_path, f"sqlite:///{instance_path / 'bench.db'}", secret_hex)
        app = create_app(env)
        with app.app_context():
            upgrade()
            new_key = initialise_line(db.session, now=datetime.now(UTC))
            created = create_demo_staff(
                db.session,
                new_key=new_key,
                data_key=bytes.fromhex(secret_hex["ADVISORY_DATA_KEY"]),
                now=datetime.now(UTC),
            )
            lawyer = next(new for new in created if new.staff.username == "demo-lawyer")
            material = key_material(db.session, lawyer.staff)
            db.session.commit()
            password, seed = lawyer.one_time_password, lawyer.totp_seed
        instance = crypto.instance_id(bytes.fromhex(secret_hex["ADVISORY_DATA_KEY"]))
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines
        server = make_server("127.0.0.1", free_port(), app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            timings = measure(url, password, seed, instance, material, args.runs)
        finally:
            server.shutdown()
    for name, values in timings.items():
        print(
            f"{name:<8} min {min(values):7.1f} ms   median {statistics.median(values):7.1f} ms"
            f"   max {max(values):7.1f} ms   ({len(values)} runs)"
        )
    total = statistics.median(timings["derive"]) + statistics.median(timings["unlock"])
    print(f"derive + unlock, median: {total:.1f} ms (target: under 1000 ms)")
    return 0


def measure(
    url: str, password: str, seed: str, instance: str, material: dict[str, object], runs: int
) -> dict[str, list[float]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{url}/staff/login")
            found = page.evaluate(
                TIMING,
                {
                    "password": password,
                    "instance": instance,
                    "username": "demo-lawyer",
                    "material": json.loads(json.dumps(material)),
                    "runs": runs,
                },
            )
            page.goto(f"{url}/staff/login")
            page.fill("#username", "demo-lawyer")
            page.fill("#password", password)
            page.fill("#code", pyotp.TOTP(seed).now())
            start = time.perf_counter()
            page.click("form.sign-in [type=submit]")
            page.wait_for_url(f"{url}/staff")
            sign_in = (time.perf_counter() - start) * 1000
        finally:
            browser.close()
    return {"derive": found["derive"], "unlock": found["unlock"], "sign-in": [sign_in]}


if __name__ == "__main__":
    raise SystemExit(main())
