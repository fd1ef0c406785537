"""Start at login points at a lasting program: never a checkout or a temporary environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.platform.launcher import Environment, LauncherError, launcher

from .conftest import cli_env


def _env(tmp_path: Path, prefix: Path, *, temp: bool = False, frozen: bool = False) -> Environment:
    python = prefix / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.touch()
    package = prefix / "lib" / "python3.11" / "site-packages" / "restic_monitor"
    package.mkdir(parents=True, exist_ok=True)
    roots = (tmp_path / "tmp",) if temp else ()
    return Environment(python, prefix, package, frozen, "linux", roots)


def _checkout(tmp_path: Path) -> Path:
    clone = tmp_path / "src" / "restic-monitor"
    clone.mkdir(parents=True)
    (clone / "pyproject.toml").write_text('[project]\nname = "restic-monitor"\n')
    return clone


def test_an_installed_tool_starts_its_own_launcher(tmp_path: Path) -> None:
    tool = tmp_path / "share" / "uv" / "tools" / "restic-monitor"
    env = _env(tmp_path, tool)
    (tool / "bin" / "restic-monitor").touch()

    argv, note = launcher(env, which=lambda _name: None)

    assert argv == [str(tool / "bin" / "restic-monitor")]
    assert note is None


def test_a_checkout_is_refused_with_the_commands_that_install_it(tmp_path: Path) -> None:
    clone = _checkout(tmp_path)
    env = _env(tmp_path, clone / ".venv")

    with pytest.raises(LauncherError) as info:
        launcher(env, which=lambda _name: None)

    text = str(info.value)
    assert f"a development checkout ({clone})" in text
    assert f"uv tool install {clone}" in text and f"pipx install {clone}" in text
    assert "--use-this-environment" in text


def test_a_checkout_uses_an_installed_launcher_found_on_path(tmp_path: Path) -> None:
    clone = _checkout(tmp_path)
    env = _env(tmp_path, clone / ".venv")
    (clone / ".venv" / "bin" / "restic-monitor").touch()
    installed = tmp_path / "home" / ".local" / "bin" / "restic-monitor"
    installed.parent.mkdir(parents=True)
    installed.touch()
    on_path = {"restic-monitor": str(clone / ".venv" / "bin" / "restic-monitor")}

    with pytest.raises(LauncherError):  # the checkout's own script is no way out
        launcher(env, which=on_path.get)
    argv, note = launcher(env, which={"restic-monitor": str(installed)}.get)

    assert argv == [str(installed)]
    assert note is not None and str(installed) in note


def test_a_temporary_environment_is_refused_and_the_flag_overrides(tmp_path: Path) -> None:
    cached = tmp_path / "tmp" / "uv-cache" / "env"
    env = _env(tmp_path, cached, temp=True)
    with pytest.raises(LauncherError, match="a temporary environment"):
        launcher(env, which=lambda _name: None)
    uvx = _env(tmp_path, tmp_path / "cache" / "uv" / "archive-v0" / "x1")
    with pytest.raises(LauncherError, match="uv tool install restic-monitor"):
        launcher(uvx, which=lambda _name: None)

    argv, _note = launcher(env, use_this_environment=True, which=lambda _name: None)
    assert argv == [str(cached / "bin" / "python"), "-m", "restic_monitor"]


def test_the_packaged_app_starts_itself(tmp_path: Path) -> None:
    env = _env(tmp_path, tmp_path / "tmp" / "x", temp=True, frozen=True)
    assert launcher(env, which=lambda _name: None) == ([str(env.python)], None)


@pytest.mark.skipif(sys.platform != "linux", reason="XDG autostart")
def test_install_from_this_checkout_refuses_and_writes_nothing(home: Home, tmp_path: Path) -> None:
    config_home = tmp_path / "xdg-config"
    result = subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "install"],
        capture_output=True,
        text=True,
        env={**cli_env(), "XDG_CONFIG_HOME": str(config_home), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "install refused" in result.stderr and "uv tool install" in result.stderr
    assert not (config_home / "autostart").exists()
