"""Hooks around a backup, with real processes and the real restic.

Each hook here is a small Python script that records when it ran and the
environment it got; the assertions are about what a user relies on: the
order, the facts in the environment, no secret in it, a failing before-hook
that keeps the backup from running (or not, when told to continue), and a
hook that hangs being stopped with what it started.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from restic_monitor.paths import Home

from .conftest import SECRET, Repo, cli, write_config

RECORDER = """
import json, os, sys
name, out = sys.argv[1], sys.argv[2]
facts = {k: v for k, v in os.environ.items()}
with open(out, "a") as fh:
    fh.write(json.dumps({"hook": name, "env": facts}) + "\\n")
print(f"hook {name} says hello")
sys.exit(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
"""


def recorder(tmp_path: Path) -> tuple[Path, Path]:
    script = tmp_path / "hook.py"
    script.write_text(RECORDER)
    return script, tmp_path / "hooks.jsonl"


def hook(script: Path, out: Path, name: str, code: int = 0) -> list[str]:
    return [sys.executable, str(script), name, str(out), str(code)]


def ran(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines()]


def configure(home: Home, repo: Repo, sample: Path, **hooks: Any) -> None:
    write_config(home, {"restic_exe": repo.exe, "args": ["backup", str(sample)], **hooks}, repo.env)


def last_run(home: Home) -> dict[str, Any]:
    run: dict[str, Any] = json.loads(cli(home, "history", "--json", "--limit", "1").stdout)[0]
    return run


def test_hooks_run_in_order_with_the_runs_facts_and_no_secret(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    script, out = recorder(tmp_path)
    configure(
        home, repo, sample,
        before_backup_command=hook(script, out, "before"),
        after_backup_command=hook(script, out, "after"),
        on_success_command=hook(script, out, "success"),
        on_failure_command=hook(script, out, "failure"),
    )  # fmt: skip
    result = cli(home, "backup")
    assert result.returncode == 0, result.stderr

    calls = ran(out)
    assert [c["hook"] for c in calls] == ["before", "after", "success"]
    snapshot = repo.snapshots()[0]["id"]
    after = calls[1]["env"]
    assert after["RESTIC_MONITOR_PROFILE"] == "default"
    assert after["RESTIC_MONITOR_JOB"] == "backup"
    assert after["RESTIC_MONITOR_OUTCOME"] == "success"
    assert after["RESTIC_MONITOR_EXIT_CODE"] == "0"
    assert after["RESTIC_MONITOR_SNAPSHOT"] and snapshot.startswith(
        after["RESTIC_MONITOR_SNAPSHOT"]
    )
    assert after["RESTIC_MONITOR_ERROR"] == ""
    assert Path(after["RESTIC_MONITOR_LOG"]).is_file()
    before = calls[0]["env"]
    assert before["RESTIC_MONITOR_PROFILE"] == "default" and "RESTIC_MONITOR_OUTCOME" not in before
    for call in calls:
        env = call["env"]
        assert "RESTIC_PASSWORD" not in env and "RESTIC_REPOSITORY" not in env
        assert not [k for k, v in env.items() if SECRET in v], "a secret reached a hook"
    log = home.app_log.read_text()
    assert "hook before_backup_command: hook before says hello" in log


def test_a_failing_before_hook_skips_the_backup_and_says_why(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    script, out = recorder(tmp_path)
    configure(
        home, repo, sample,
        before_backup_command=[sys.executable, "-c",
                               "import sys; print('the database dump failed'); sys.exit(2)"],
        after_backup_command=hook(script, out, "after"),
        on_failure_command=hook(script, out, "failure"),
    )  # fmt: skip
    result = cli(home, "backup")
    assert result.returncode == 1
    assert repo.snapshots() == []  # restic never ran
    run = last_run(home)
    assert (run["outcome"], run["reason"]) == ("failed", "before_hook_failed")
    assert "before_backup_command failed (exit code 2: the database dump failed)" in run["message"]
    assert "did not run" in result.stdout
    calls = ran(out)
    assert [c["hook"] for c in calls] == ["after", "failure"]
    assert calls[0]["env"]["RESTIC_MONITOR_OUTCOME"] == "failed"
    assert "the database dump failed" in calls[0]["env"]["RESTIC_MONITOR_ERROR"]
    status = json.loads(cli(home, "status", "--json").stdout)
    assert "before_backup_command failed" in status["last_run"]["message"]


def test_a_failing_before_hook_with_continue_still_backs_up(
    home: Home, repo: Repo, sample: Path
) -> None:
    configure(
        home, repo, sample,
        before_backup_command=[sys.executable, "-c", "import sys; sys.exit(1)"],
        before_backup_failure="continue",
    )  # fmt: skip
    assert cli(home, "backup").returncode == 0
    assert len(repo.snapshots()) == 1
    assert "backing up anyway (before_backup_failure: continue)" in home.app_log.read_text()


def test_a_hanging_hook_is_stopped_at_its_timeout_with_what_it_started(
    home: Home, repo: Repo, sample: Path
) -> None:
    marker = "3017.25"
    child = f"import time; time.sleep({marker})"
    configure(
        home, repo, sample,
        before_backup_command=["sh", "-c", f'"{sys.executable}" -c "{child}" & wait'],
        hook_timeout_seconds=1,
    )  # fmt: skip
    started = time.monotonic()
    result = cli(home, "backup")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "did not end in time" in last_run(home)["message"]
    assert repo.snapshots() == []

    def leftovers() -> list[int]:
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            if any(marker in part for part in proc.info["cmdline"] or ()):
                found.append(proc.pid)
        return found

    assert leftovers() == [], "the hook's child outlived its timeout"


def test_hook_output_and_command_are_masked_in_the_log(
    home: Home, repo: Repo, sample: Path
) -> None:
    configure(
        home, repo, sample,
        after_backup_command=[sys.executable, "-c", f"print('the password is {SECRET}')"],
    )  # fmt: skip
    assert cli(home, "backup").returncode == 0
    log = home.app_log.read_text()
    assert SECRET not in log
    assert "hook after_backup_command: the password is ***" in log
