"""Shared fixtures: temp homes, the real restic, real repositories, the fake restic.

In CI (``CI=true``) a missing tool is a failure, never a skip: a green run
must mean the real things were exercised.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from restic_monitor.paths import Home, ProfileFiles

from . import restic_versions

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
# Widget tests render offscreen; the desktop tests start their own X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).parent
if TYPE_CHECKING:
    from .desktop import Desktop

SECRET = "planted-s3cret-d0-not-leak"


def require_tool(name: str) -> str:
    """The tool's path; fails in CI and skips loudly elsewhere when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"required tool {name!r} is not installed"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must install it)")
        pytest.skip("SKIPPED LOUDLY: " + message + "; install it to run this test")
    return path


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the real user's home or config."""
    monkeypatch.setenv("RESTIC_MONITOR_HOME", str(tmp_path / "default-home"))
    monkeypatch.delenv("RESTIC_MONITOR_IDLE_SOURCE", raising=False)
    monkeypatch.delenv("RESTIC_REPOSITORY", raising=False)
    monkeypatch.delenv("RESTIC_PASSWORD", raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = Home(tmp_path / "home")
    h.ensure()
    return h


def write_config(home: ProfileFiles, settings: dict[str, Any], env: dict[str, str]) -> None:
    """A profile's two files. Its scheduled repository check is off unless the settings
    name one: a test that counts restic runs or reads the repository right after a backup
    must not meet a check holding its exclusive lock (the maintenance tests turn it on)."""
    home.root.mkdir(parents=True, exist_ok=True)
    settings = {"check_every_seconds": 0, **settings}
    home.settings_json.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    home.env_json.write_text(json.dumps(env, indent=2), encoding="utf-8")
    home.env_json.chmod(0o600)


@pytest.fixture(scope="session")
def restic_exe(request: pytest.FixtureRequest) -> str:
    """The real restic: one version per parameter (see restic_versions), else the system's."""
    slot: restic_versions.Restic | None = getattr(request, "param", None)
    if slot is None:
        slot = restic_versions.primary()
        if slot is None:
            return require_tool("restic")
    if slot.exe is None:
        message = restic_versions.missing_message(slot)
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must fetch it)")
        pytest.skip("SKIPPED LOUDLY: " + message)
    return slot.exe


@pytest.fixture(autouse=True)
def _restic_on_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test's children that look restic up on PATH (the demo) find the test's version."""
    if "restic_exe" in request.fixturenames:
        exe = request.getfixturevalue("restic_exe")
        if shutil.which("restic") != exe:
            monkeypatch.setenv("PATH", os.path.dirname(exe) + os.pathsep + os.environ["PATH"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The tests in restic_versions.ALL_VERSIONS run once per restic version."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "restic_exe" in metafunc.fixturenames and restic_versions.runs_on_all_versions(
        module, metafunc.function.__name__
    ):
        slots = restic_versions.restics()
        metafunc.parametrize(
            "restic_exe", slots, ids=[s.id for s in slots], indirect=True, scope="session"
        )


def restic_version_of(exe: str) -> tuple[int, ...]:
    out = subprocess.run([exe, "version"], capture_output=True, text=True, check=True).stdout
    parts = out.split()[1].split(".")
    return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in parts[:3])


@pytest.fixture(scope="session")
def restic_version(restic_exe: str) -> tuple[int, ...]:
    return restic_version_of(restic_exe)


@dataclass
class Repo:
    path: Path
    password: str
    exe: str
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.exe, *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def snapshots(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = json.loads(self.run("snapshots", "--json").stdout)
        return result

    def locks(self) -> list[str]:
        return [x for x in self.run("list", "locks").stdout.split() if x]


@pytest.fixture(scope="session")
def _template_repo(tmp_path_factory: pytest.TempPathFactory, restic_exe: str) -> Path:
    """restic init derives keys slowly; initialise once and copy per test."""
    path = tmp_path_factory.mktemp("template") / "repo"
    env = {**os.environ, "RESTIC_REPOSITORY": str(path), "RESTIC_PASSWORD": SECRET}
    subprocess.run([restic_exe, "init"], env=env, check=True, capture_output=True)
    return path


@pytest.fixture
def repo(tmp_path: Path, restic_exe: str, _template_repo: Path) -> Repo:
    path = tmp_path / "repo"
    shutil.copytree(_template_repo, path)
    return Repo(
        path=path,
        password=SECRET,
        exe=restic_exe,
        env={"RESTIC_REPOSITORY": str(path), "RESTIC_PASSWORD": SECRET},
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A small tree with text, binary, nested and empty files."""
    root = tmp_path / "sample"
    (root / "docs" / "deep").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("hello restic\n" * 100, encoding="utf-8")
    (root / "docs" / "deep" / "b.bin").write_bytes(os.urandom(300_000))
    (root / "empty.txt").write_bytes(b"")
    (root / "ünïcode name.txt").write_text("naïve café\n", encoding="utf-8")
    return root


def same_tree(a: Path, b: Path) -> bool:
    """Byte-for-byte comparison of two trees (names, contents)."""
    left = sorted(p.relative_to(a) for p in a.rglob("*"))
    right = sorted(p.relative_to(b) for p in b.rglob("*"))
    if left != right:
        return False
    for rel in left:
        pa, pb = a / rel, b / rel
        if pa.is_file() and pa.read_bytes() != pb.read_bytes():
            return False
    return True


def restored_path(target: Path, source: Path) -> Path:
    return target / source.relative_to(source.anchor)


# --- the fake restic ----------------------------------------------------------------


@dataclass
class FakeRestic:
    exe: Path
    plan_path: Path
    record_path: Path

    def plan(self, **plan: Any) -> FakeRestic:
        plan.setdefault("record", str(self.record_path))
        self.plan_path.write_text(json.dumps(plan), encoding="utf-8")
        return self

    def events(self) -> list[tuple[str, int, float]]:
        if not self.record_path.exists():
            return []
        out = []
        for line in self.record_path.read_text().splitlines():
            what, pid, when = line.split()
            out.append((what, int(pid), float(when)))
        return out

    def starts(self) -> int:
        return sum(1 for e in self.events() if e[0] == "start")

    def max_concurrent(self) -> int:
        """The most backup processes that were ever running at the same time."""
        running = 0
        peak = 0
        for what, _pid, _when in sorted(self.events(), key=lambda e: e[2]):
            if what == "start":
                running += 1
                peak = max(peak, running)
            elif what == "end":
                running -= 1
        return peak


@pytest.fixture
def fake_restic(tmp_path: Path) -> FakeRestic:
    folder = tmp_path / "fakebin"
    folder.mkdir()
    plan = folder / "plan.json"
    exe = folder / "restic"
    exe.write_text(
        f"#!{sys.executable}\n"
        "import runpy, sys\n"
        f"sys.argv = [{str(HERE / 'fake_restic.py')!r}, {str(plan)!r}, *sys.argv[1:]]\n"
        f"runpy.run_path({str(HERE / 'fake_restic.py')!r}, run_name='__main__')\n",
        encoding="utf-8",
    )
    exe.chmod(0o755)
    fake = FakeRestic(exe=exe, plan_path=plan, record_path=folder / "record.txt")
    fake.plan()
    return fake


# --- processes -------------------------------------------------------------------


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RESTIC_MONITOR_HOME", None)
    return env


def cli(home: Home, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def wait_until(predicate: Callable[[], Any], timeout: float = 30, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class DaemonProcess:
    home: Home
    proc: subprocess.Popen[str]
    idle_file: Path

    def set_idle(self, seconds: float) -> None:
        tmp = self.idle_file.with_suffix(".tmp")
        tmp.write_text(f"{seconds}\n")
        os.replace(tmp, self.idle_file)

    def status(self) -> dict[str, Any]:
        result = cli(self.home, "status", "--json")
        assert result.stdout, result.stderr
        status: dict[str, Any] = json.loads(result.stdout)
        return status

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


def start_daemon(home: Home, idle_file: Path, *extra: str, idle: float = 0) -> DaemonProcess:
    idle_file.write_text(f"{idle}\n")
    log = (home.root / "daemon-stderr.txt").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "restic_monitor",
            "--home",
            str(home.root),
            "run",
            "--headless",
            "--idle-source",
            f"file:{idle_file}",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
    )
    daemon = DaemonProcess(home=home, proc=proc, idle_file=idle_file)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(
                f"daemon exited with {proc.returncode}: "
                + (home.root / "daemon-stderr.txt").read_text()
                + "; processes holding the lock file: "
                + ", ".join(_holders(home.lock))
            )
        return home.control_json.exists() and cli(home, "status", "--json").returncode in (0, 2)

    wait_until(ready, timeout=30)
    return daemon


def _holders(path: Path) -> list[str]:
    """Which processes have ``path`` open (for diagnosing a held lock)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any(f.path == str(path) for f in proc.open_files()):
                found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}")
        except psutil.Error:
            continue
    return found


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.stop()


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(path)
    return hits


_SLOW_MODULES = {"test_crash_recovery", "test_demo"}
#: Modules that exercise Linux itself: X11/Xvfb, Wayland, D-Bus services, /proc, logind.
_LINUX_ONLY = {
    "test_x11_idle",
    "test_tray_desktop",
    "test_tray_sni",
    "test_idle_dbus",
    "test_idle_wayland",
    "test_notify",
    "test_power_and_sleep",
    "test_crash_recovery",
    "test_keyring",
}
#: Modules that need POSIX processes: signals, shebang scripts as a fake restic.
_POSIX_ONLY = {
    "test_engine_faults",
    "test_cli_instance",
    "test_real_restic",
    "test_tray_qt",
    "test_demo",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by what a test uses: ``restic`` (the real binary), ``x11``, ``slow``.

    Tests for another platform are skipped by platform (never for a missing tool).
    """
    modules = {i.path.stem: i.module for i in items if isinstance(i, pytest.Function)}
    stale = restic_versions.stale_names(modules)
    if stale:
        raise pytest.UsageError(f"restic_versions.ALL_VERSIONS names unknown tests: {stale}")
    for item in items:
        module = item.path.stem
        if module in _LINUX_ONLY and sys.platform != "linux":
            item.add_marker(pytest.mark.skip(reason=f"{module} exercises Linux facilities"))
        if module in _POSIX_ONLY and sys.platform == "win32":
            item.add_marker(pytest.mark.skip(reason=f"{module} needs POSIX processes"))
        fixtures = set(getattr(item, "fixturenames", ()))
        if "restic_exe" in fixtures or "repo" in fixtures:
            item.add_marker(pytest.mark.restic)
        if "display" in fixtures:
            item.add_marker(pytest.mark.x11)
        if module in _SLOW_MODULES or "daemons" in fixtures or "restic" in item.keywords:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    """A real X display with a tray host and a notification daemon (tests/desktop.py)."""
    from .desktop import Desktop, missing_tools

    missing = missing_tools()
    if missing:
        message = f"desktop tools missing: {', '.join(missing)}"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run must install them)")
        pytest.skip("SKIPPED LOUDLY: " + message)
    desk = Desktop(tmp_path / "desktop").start()
    yield desk
    desk.stop()
