"""A real X desktop for tests and screenshots: Xvfb, a session bus, a tray host, a notifier.

Xvfb runs with -noreset (otherwise it resets, zeroing its idle counter, when
its last client leaves); trayer docks tray icons at the top right; dunst
shows notifications and keeps their history (``dunstctl history``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

TOOLS = ("Xvfb", "xdotool", "trayer", "dunst", "dunstctl", "dbus-launch", "import")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def free_display(start: int = 100) -> int:
    """A display number no X server uses (by its lock file and socket)."""
    for number in range(start + os.getpid() % 100, start + 600):
        if not os.path.exists(f"/tmp/.X{number}-lock") and not os.path.exists(
            f"/tmp/.X11-unix/X{number}"
        ):
            return number
    raise RuntimeError("no free X display number")


class Desktop:
    def __init__(self, workdir: Path, number: int | None = None, size: str = "1024x640") -> None:
        self.workdir = workdir
        self.number = number if number is not None else free_display()
        self.display = f":{self.number}"
        self.size = size
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    # --- lifecycle ------------------------------------------------------------

    def start(self) -> Desktop:
        self.workdir.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
        base.pop("QT_QPA_PLATFORM", None)
        base.update(DISPLAY=self.display, XDG_SESSION_TYPE="x11")
        base["XDG_RUNTIME_DIR"] = str(self.workdir / "runtime")
        (self.workdir / "runtime").mkdir(mode=0o700, exist_ok=True)
        self._spawn(
            [
                "Xvfb",
                self.display,
                "-noreset",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                f"{self.size}x24",
            ],
            base,
        )
        self._wait(lambda: os.path.exists(f"/tmp/.X11-unix/X{self.number}"), "Xvfb")
        if shutil.which("xsetroot"):  # a calm backdrop for the screenshots
            subprocess.run(["xsetroot", "-solid", "#41505e"], env=base, check=False)
        out = subprocess.run(
            ["dbus-launch", "--sh-syntax"], env=base, capture_output=True, text=True, check=True
        ).stdout
        for key in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SESSION_BUS_PID"):
            match = re.search(rf"{key}='?([^';]+)'?;", out)
            if match:
                base[key] = match.group(1)
        self.env = base
        config = self.workdir / "dunstrc"
        config.write_text(
            '[global]\n  geometry = "420x6-12+48"\n  width = 420\n  origin = top-right\n'
            "  offset = 12x48\n  font = DejaVu Sans 10\n  frame_width = 2\n"
            '  frame_color = "#8a8a8a"\n  markup = no\n'
            '[urgency_low]\n  background = "#f5f5f5"\n  foreground = "#202020"\n'
            "  timeout = 0\n"
            '[urgency_normal]\n  background = "#fff8e1"\n  foreground = "#202020"\n'
            "  timeout = 0\n"
            '[urgency_critical]\n  background = "#ffebee"\n  foreground = "#202020"\n'
            '  frame_color = "#c62828"\n  timeout = 0\n'
        )
        self._spawn(["dunst", "-config", str(config)], base)
        self._spawn(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--transparent",
                "false",
                "--tint",
                "0x303030",
                "--SetDockType",
                "true",
            ],
            base,
        )
        self._wait(lambda: self._trayer_window() is not None, "trayer")
        self._wait(self._dunst_ready, "dunst")
        return self

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.poll() is None:
                proc.kill()
        pid = self.env.get("DBUS_SESSION_BUS_PID")
        if pid:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 15)

    def _spawn(self, argv: list[str], env: dict[str, str]) -> None:
        self.procs.append(
            subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )

    def _wait(self, predicate: Any, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not come up on {self.display}")
            time.sleep(0.1)

    def _dunst_ready(self) -> bool:
        return self.run(["dunstctl", "is-paused"], check=False).returncode == 0

    # --- tools ---------------------------------------------------------------

    def run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, env=self.env, capture_output=True, text=True, check=check, timeout=30
        )

    def _trayer_window(self) -> str | None:
        """trayer's panel: the window named "panel" that holds the icons."""
        out = self.run(["xdotool", "search", "--name", "^panel$"], check=False).stdout.split()
        return out[0] if out else None

    def tray_icon_center(self) -> tuple[int, int] | None:
        """Where the (single) docked tray icon is, or None while the tray is empty."""
        window = self._trayer_window()
        if window is None:
            return None
        geometry = self.run(["xdotool", "getwindowgeometry", "--shell", window]).stdout
        values = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
        x, y = int(values["X"]), int(values["Y"])
        width, height = int(values["WIDTH"]), int(values["HEIGHT"])
        screen_width = int(self.size.split("x")[0])
        if width < 16 or x + width < screen_width - 2:
            return None  # trayer is empty until an icon docks, then sits at the right edge
        return x + width // 2, y + height // 2

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.run(["xdotool", "mousemove", str(x), str(y), "click", str(button)])

    def key(self, *keys: str) -> None:
        self.run(["xdotool", "key", "--delay", "80", *keys])

    def window_ids(self, name: str) -> list[str]:
        return self.run(
            ["xdotool", "search", "--onlyvisible", "--name", name], check=False
        ).stdout.split()

    def screenshot(self, path: Path, crop: str | None = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        argv = ["import", "-window", "root"]
        if crop:
            argv += ["-crop", crop, "+repage"]
        self.run([*argv, str(path)])
        return path

    def displayed(self) -> int:
        """How many notifications are on screen now (reading them closes them)."""
        out = self.run(["dunstctl", "count", "displayed"], check=False).stdout.strip()
        return int(out) if out.isdigit() else 0

    def notifications(self) -> list[dict[str, str]]:
        """Every notification dunst has shown or shows, newest first."""
        out = self.run(["dunstctl", "history"], check=False).stdout
        shown = self.run(["dunstctl", "count", "displayed"], check=False).stdout.strip()
        items: list[dict[str, str]] = []
        with contextlib.suppress(ValueError, KeyError, TypeError):
            for entry in json.loads(out)["data"][0]:
                items.append({k: entry[k]["data"] for k in ("summary", "body") if k in entry})
        if shown and shown != "0":
            # Displayed ones are not in the history yet: close them into it.
            self.run(["dunstctl", "close-all"], check=False)
            return self.notifications()
        return items
