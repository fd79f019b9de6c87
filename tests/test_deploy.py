"""The reference deployment in `deploy/` is checked by the tools that will read it: systemd
for the units, Caddy for its configuration, Tor for the onion service, and the app's own
settings for the environment template."""

from __future__ import annotations

import configparser
import http.server
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from advisory.settings import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TIMERS = sorted((DEPLOY / "systemd").glob("*.timer"))
INSTALLED_AT = "/opt/advisory"  # where the units expect the checkout
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes"}
ONION = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz234567.onion"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return found


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The tools are found on PATH by `tool`, their arguments are this checkout's files.
    return subprocess.run(  # noqa: S603
        args, capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_the_units_are_valid_for_systemd(tmp_path: Path):
    analyze = tool("systemd-analyze")
    # The units name the checkout's place on the server; here the checkout is elsewhere.
    for unit in [*UNITS, *TIMERS]:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED_AT, str(PROJECT_ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")

    result = run(analyze, "verify", *(str(tmp_path / unit.name) for unit in [*UNITS, *TIMERS]))

    assert [unit.stem for unit in UNITS] == [
        "advisory-backup",
        "advisory-metrics",
        "advisory-scheduler",
        "advisory-web",
    ]
    assert [timer.stem for timer in TIMERS] == ["advisory-backup"]
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_runs_hardened_as_its_own_user_from_the_environment_file(unit: Path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  (keys keep their case)
    parser.read(unit)
    service = parser["Service"]

    assert {key: service.get(key) for key in HARDENING} == HARDENING
    assert service["User"] == "advisory"
    assert service["EnvironmentFile"] == "/etc/advisory/advisory.env"
    # Only the backup writes anywhere else: the folder its files go to.
    backups = " /var/backups/advisory" if unit.stem == "advisory-backup" else ""
    assert service["ReadWritePaths"] == "/var/lib/advisory" + backups


def test_the_caddy_configuration_is_valid():
    caddy = tool("caddy")
    env = {"ADVISORY_DOMAIN": "rad.example.org", "ADVISORY_ONION": ONION, "PATH": "/usr/bin"}

    result = run(
        caddy,
        "validate",
        "--config",
        str(DEPLOY / "caddy" / "Caddyfile"),
        "--adapter",
        "caddyfile",
        env=env,
    )

    assert result.returncode == 0, result.stderr
    text = (DEPLOY / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    assert "Onion-Location" in text
    assert "encode" in text
    site = text[text.index("{$ADVISORY_DOMAIN} {") :]
    assert "\n\tlog" not in site  # no access log: it would hold every reporter's address


def test_the_onion_service_snippet_is_valid_for_tor(tmp_path: Path):
    tor = tool("tor")
    result = run(
        tor,
        "--verify-config",
        "-f",
        str(DEPLOY / "tor" / "torrc"),
        "--DataDirectory",
        str(tmp_path / "tor"),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_environment_template_is_read_by_the_app_and_documented(tmp_path: Path):
    env = {}
    for line in (DEPLOY / "advisory.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")

    settings = load_settings({**env, "ADVISORY_INSTANCE_PATH": str(tmp_path)})

    assert settings.environment == "production"
    assert settings.secure_cookies
    assert (settings.public_url or "").startswith("https://")
    undocumented = [
        name
        for name in env
        if f"`{name}`" not in readme and f"`{name.removeprefix('ADVISORY_SMTP')}`" not in readme
    ]
    assert undocumented == []


def test_caddy_logs_no_client_address_when_the_app_is_down(tmp_path: Path):
    # Given the Caddyfile served on a loopback port, its upstream (the app) not running
    caddy = tool("caddy")
    port, dead = _free_port(), _free_port()
    text = (DEPLOY / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    config = tmp_path / "Caddyfile"
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{dead}")
    config.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{_free_port()}"), "utf-8")
    server = _caddy(caddy, config, tmp_path, port)
    try:
        # When a reporter's request fails at the proxy (a 502)
        status = _get_when_up(port, headers={"User-Agent": "UA-CANARY"})
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)

    # Then Caddy's log names neither their address nor their browser
    assert status == 502, output
    assert "UA-CANARY" not in output
    assert "remote_ip" not in output


def _get_when_up(port: int, headers: dict[str, str]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/report", headers=headers)
    for _ in range(100):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.1)
    raise AssertionError("Caddy did not start")


def test_caddy_tells_the_app_the_peer_and_drops_a_forged_forwarded_for(tmp_path: Path):
    # Given the app stood in for by a server that keeps the X-Forwarded-For it is sent
    caddy = tool("caddy")
    seen: list[str | None] = []

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            seen.append(self.headers.get("X-Forwarded-For"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    public, onion = _free_port(), _free_port()
    text = (DEPLOY / "caddy" / "Caddyfile").read_text(encoding="utf-8")
    text = text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream.server_port}")
    config = tmp_path / "Caddyfile"
    config.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{onion}"), encoding="utf-8")
    server = _caddy(caddy, config, tmp_path, public)
    try:
        # When a client of each site claims another address
        forged = {"X-Forwarded-For": "203.0.113.7"}
        answers = [_get_when_up(port, headers=forged) for port in (public, onion)]
    finally:
        server.terminate()
        server.communicate(timeout=20)
        upstream.shutdown()
        upstream.server_close()

    # Then the app hears only the address Caddy saw
    assert answers == [200, 200]
    assert seen == ["127.0.0.1", "127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _caddy(caddy: str, config: Path, home: Path, port: int) -> subprocess.Popen[str]:
    env = {
        "ADVISORY_DOMAIN": f"http://127.0.0.1:{port}",
        "ADVISORY_ONION": ONION,
        "PATH": "/usr/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
    }
    return subprocess.Popen(  # noqa: S603 - Debian's caddy, this checkout's configuration
        [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
