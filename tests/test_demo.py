"""The README's first command: the demo backs up a sample folder and proves the restore."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import cli_env


def test_demo_once_backs_up_restores_and_exits_zero(restic_exe: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "restic_monitor", "demo", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "backup started" in out
    assert "Backup succeeded: snapshot" in out
    assert "identical to the sample folder" in out
    assert "Last successful backup:" in out
    assert out.index("you are working") < out.index("backup started"), (
        "the backup must wait for the simulated user to be idle"
    )


@pytest.mark.parametrize("flag", ["--help"])
def test_demo_is_listed_in_help(flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "restic_monitor", flag],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "demo" in result.stdout
