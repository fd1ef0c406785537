"""Build the frozen app with PyInstaller and prove it runs.

    uv run --group packaging python packaging/check_build.py

Builds dist/app/ from packaging/restic-monitor.spec, then runs the result:
``--version``, ``check`` against a real temporary repository, and
``demo --once --headless``. Exits non-zero at the first thing that fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = (
    ROOT / "dist" / "app" / ("restic-monitor.exe" if sys.platform == "win32" else "restic-monitor")
)


def step(title: str, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    print(f"==> {title}: {' '.join(argv)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    print(result.stdout.rstrip())
    if result.returncode != 0:
        print(result.stderr.rstrip(), file=sys.stderr)
        sys.exit(f"FAILED ({result.returncode}) after {time.monotonic() - started:.1f} s: {title}")
    print(f"ok in {time.monotonic() - started:.1f} s")
    return result


def main() -> None:
    step(
        "build",
        [
            sys.executable,
            "-m",
            "PyInstaller",
            str(ROOT / "packaging" / "restic-monitor.spec"),
            "-y",
            "--log-level",
            "WARN",
        ],
        cwd=ROOT,
    )
    size = sum(f.stat().st_size for f in EXE.parent.rglob("*") if f.is_file())
    print(f"dist/app: {size / 1e6:.0f} MB")
    step("version", [str(EXE), "--version"])
    restic = shutil.which("restic")
    if restic is None:
        sys.exit("restic is needed for the check and demo steps")
    with tempfile.TemporaryDirectory() as tmp:
        home, repo = Path(tmp) / "home", Path(tmp) / "repo"
        env = {"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": "check-build-password"}
        subprocess.run([restic, "init"], env={**os.environ, **env}, check=True, capture_output=True)
        home.mkdir()
        (home / "env.json").write_text(json.dumps(env))
        (home / "settings.json").write_text(
            json.dumps({"restic_exe": restic, "args": ["backup", str(ROOT / "src")]})
        )
        step("check", [str(EXE), "--home", str(home), "check", "--idle-source", "fixed:0"])
    step("demo", [str(EXE), "demo", "--once", "--headless"], timeout=300)
    print("the frozen app builds and runs")


if __name__ == "__main__":
    main()
