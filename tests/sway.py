"""A real Wayland compositor for tests and benchmarks: sway on its headless backend.

sway refuses to run as root, so under root (CI) it runs as ``nobody`` in a
runtime folder owned by that user; root can still reach its socket. Input
comes from wtype through the virtual-keyboard protocol, which the compositor
counts as user activity like a real keyboard.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from .processes import stop_process

TOOLS = ("sway", "wtype")
NOBODY = (65534, 65534)


def missing_tools() -> list[str]:
    tools = [*TOOLS, "setpriv"] if os.geteuid() == 0 else list(TOOLS)
    return [tool for tool in tools if shutil.which(tool) is None]


class Sway:
    def __init__(self, base: Path) -> None:
        """``base`` must be short (socket paths) and is taken over: ``cleanup`` removes it."""
        self.base = base
        self.runtime = base / "run"
        self.config = base / "config"
        self.user = NOBODY if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None
        self.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config.write_text("output HEADLESS-1 resolution 640x480\n")
        if self.user is not None:
            base.chmod(0o755)
            self.config.chmod(0o644)
            os.chown(self.runtime, *self.user)

    def _sockets(self) -> list[Path]:
        return sorted(p for p in self.runtime.glob("wayland-*") if not p.name.endswith(".lock"))

    @property
    def socket(self) -> Path:
        """The socket sway made (its name depends on the sway version)."""
        found = self._sockets()
        if not found:
            raise RuntimeError(f"no Wayland socket in {self.runtime}")
        return found[0]

    def start(self, timeout: float = 20) -> Sway:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.runtime),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "WLR_BACKENDS": "headless",
            "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman",
        }
        argv = ["sway", "-c", str(self.config)]
        if self.user is not None:
            uid, gid = self.user
            argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *argv]
        self.proc = proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.runtime
        )
        deadline = time.monotonic() + timeout
        while not self._sockets():
            if proc.poll() is not None:
                raise RuntimeError(f"sway exited with {proc.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sway did not open its socket")
            time.sleep(0.05)
        return self

    def env(self) -> dict[str, str]:
        """The environment of a program in this Wayland session."""
        env = {**os.environ, "XDG_RUNTIME_DIR": str(self.runtime)}
        env["WAYLAND_DISPLAY"] = str(self.socket)
        env["XDG_SESSION_TYPE"] = "wayland"
        env.pop("DISPLAY", None)
        return env

    def type_key(self) -> None:
        """A key press and release: user activity."""
        subprocess.run(["wtype", "x"], env=self.env(), check=True, timeout=10)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
