"""Health-check pings, webhooks and ntfy, against a local HTTP server and the real restic.

The server records every request (path, headers, body); the assertions are
what a monitoring setup relies on: /start then success (or /fail) with the
log's end, no secret in any body, every notification as JSON and as ntfy
wants it, and a server that hangs never holding a backup up.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home

from .conftest import SECRET, DaemonProcess, Repo, cli, start_daemon, wait_until, write_config
from .test_metrics import Blackhole, free_port


class Recorded(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (Recorded,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def paths(seen: list[dict[str, Any]]) -> list[str]:
    return [s["path"] for s in seen]


def test_a_backup_pings_start_then_success_with_the_end_of_its_log(
    home: Home, repo: Repo, sample: Path, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, seen = server
    check = f"{base}/ping/5f4e-check"
    write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(sample)],
                        "healthcheck_url": check}, repo.env)  # fmt: skip
    assert cli(home, "backup").returncode == 0
    wait_until(lambda: len(seen) >= 2, timeout=10)
    assert paths(seen) == ["/ping/5f4e-check/start", "/ping/5f4e-check"]
    body = seen[1]["body"].decode()
    assert "# ended" in body and "exit code 0" in body  # the run's log, its end
    assert len(seen[1]["body"]) <= 10_000
    assert all(SECRET.encode() not in s["body"] for s in seen)


def test_a_failed_backup_pings_fail_and_notices_reach_the_webhook_and_ntfy(
    home: Home, repo: Repo, sample: Path, server: tuple[str, list[dict[str, Any]]]
) -> None:
    base, seen = server
    env = {**repo.env, "RESTIC_PASSWORD": "not-the-password",
           "RESTIC_MONITOR_HEALTHCHECK_URL": f"{base}/ping/from-env"}  # fmt: skip
    settings = {"restic_exe": repo.exe, "args": ["backup", str(sample)],
                "notify_webhook_url": f"{base}/hook", "ntfy_url": f"{base}/my-topic"}  # fmt: skip
    write_config(home, settings, env)
    assert cli(home, "backup").returncode == 1
    wait_until(lambda: {"/ping/from-env/fail", "/hook", "/my-topic"} <= set(paths(seen)), 15)
    assert paths(seen)[0] == "/ping/from-env/start"
    fail = next(s for s in seen if s["path"] == "/ping/from-env/fail")
    assert b"Wrong repository password" in fail["body"]
    hook = json.loads(next(s for s in seen if s["path"] == "/hook")["body"])
    assert hook["title"] == "Backup failed" and hook["level"] == "error"
    assert hook["profile"] == "default" and hook["host"] and hook["time"]
    assert "Wrong repository password" in hook["message"]
    ntfy = next(s for s in seen if s["path"] == "/my-topic")
    assert ntfy["headers"]["Title"] == "Backup failed"
    assert ntfy["headers"]["Priority"] == "4" and ntfy["headers"]["Tags"] == "warning"
    assert b"Wrong repository password" in ntfy["body"]
    for s in seen:
        assert b"not-the-password" not in s["body"] and SECRET.encode() not in s["body"]


def test_a_hanging_ping_server_never_holds_a_backup_up_and_its_url_stays_masked(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    hole = Blackhole()
    token = "c0ffee-secret-check-key"
    env = {**repo.env, "RESTIC_MONITOR_HEALTHCHECK_URL": f"http://127.0.0.1:{hole.port}/{token}"}
    settings = {"restic_exe": repo.exe, "args": ["backup", str(sample)], "min_idle_seconds": 3600}
    write_config(home, settings, env)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    try:
        for _ in range(2):
            started = time.monotonic()
            assert cli(home, "backup").returncode == 0
            run = json.loads(cli(home, "history", "--json", "--limit", "1").stdout)[0]
            waited = time.monotonic() - started - run["duration"]
            assert waited < 3.0, f"the backup command waited {waited:.1f} s beyond restic"
    finally:
        hole.close()
    refused = free_port()
    env["RESTIC_MONITOR_HEALTHCHECK_URL"] = f"http://127.0.0.1:{refused}/{token}"
    write_config(home, settings, env)
    assert cli(home, "reload").returncode == 0
    assert cli(home, "backup").returncode == 0
    wait_until(lambda: "cannot send the health check ping" in home.app_log.read_text(), 60)
    log = home.app_log.read_text()
    assert token not in log and token not in (home.root / "daemon-stderr.txt").read_text()
