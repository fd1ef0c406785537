"""Record what real restic versions print for missing and unreadable backup sources.

    uv run python tests/restic_output/record.py RESTIC [RESTIC...]

For each binary, ``<version>/<case>.out`` holds restic's stdout and stderr merged into
one pipe, as restic-monitor reads them, and ``manifest.json`` each case's exit code. The
sources live under ``/tmp/restic-monitor-fixture`` so that the recorded paths are the
same on every machine; the unreadable file and folder are made unreadable with mode 000,
and, as root, by dropping the capabilities that let root read anything
(``setpriv --bounding-set=-dac_override,-dac_read_search``).

The tests (``tests/test_restic_output.py``) read these files; nothing here runs in them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = Path("/tmp/restic-monitor-fixture")
PASSWORD = "fixture-password"  # a throwaway repository
SOURCES = {
    "missing-one": ["present", "missing"],
    "missing-two": ["present", "missing", "also-missing"],
    "missing-all": ["missing", "also-missing"],
    "unreadable": ["present", "unreadable"],
    "missing-and-unreadable": ["present", "unreadable", "missing"],
}


def _tree() -> None:
    if ROOT.exists():
        for p in ROOT.rglob("*"):
            p.chmod(0o755)
        shutil.rmtree(ROOT)
    (ROOT / "present" / "sub").mkdir(parents=True)
    (ROOT / "present" / "a.txt").write_text("hello\n")
    (ROOT / "present" / "sub" / "b.txt").write_text("world\n")
    (ROOT / "unreadable" / "closed").mkdir(parents=True)
    (ROOT / "unreadable" / "closed" / "c.txt").write_text("hidden\n")
    (ROOT / "unreadable" / "secret.txt").write_text("hidden\n")
    (ROOT / "unreadable" / "open.txt").write_text("visible\n")
    (ROOT / "unreadable" / "secret.txt").chmod(0)
    (ROOT / "unreadable" / "closed").chmod(0)


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        sys.exit("as root, setpriv (util-linux) is needed to make files unreadable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _version(exe: str) -> str:
    out = subprocess.run([exe, "version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def record(exe: str) -> None:
    version = _version(exe)
    folder = HERE / version
    folder.mkdir(exist_ok=True)
    manifest_path = HERE / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    codes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RESTIC_REPOSITORY": f"{tmp}/repo", "RESTIC_PASSWORD": PASSWORD}
        subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
        for case, names in SOURCES.items():
            for mode in ("text", "json"):
                argv = [*_prefix(), exe, "backup", *(["--json"] if mode == "json" else [])]
                argv += [str(ROOT / n) for n in names]
                proc = subprocess.run(
                    argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
                )
                name = f"{case}-{mode}"
                (folder / f"{name}.out").write_bytes(proc.stdout)
                codes[name] = proc.returncode
    manifest[version] = codes
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"restic {version}: {codes}")


if __name__ == "__main__":
    _tree()
    for exe in sys.argv[1:]:
        record(exe)
