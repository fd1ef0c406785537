"""A stand-in for restic, for fault injection only (exit codes, hangs, floods).

The main paths are tested against the real restic; this script plays the
misbehaving one. Its behaviour comes from a JSON plan file named by the
wrapper that :func:`tests.conftest.fake_restic` writes:

- ``exit``: exit code of ``backup`` (default 0)
- ``sleep``: seconds to run before exiting (default 0)
- ``lines``: text lines to print first
- ``flood``: number of ``--json`` lines to print as fast as possible
- ``ignore_sigint``: keep running on SIGINT
- ``sigint_exit``: exit code after SIGINT (default 130)
- ``summary``: print a ``--json`` summary message at the end (default true when --json)
- ``record``: file where ``start PID``/``end PID`` lines are appended
- ``version``: what ``restic version`` prints
- ``unlock_exit``: exit code of ``unlock`` (default 0)
- ``cat_sleep``, ``cat_exit``: how long ``cat config`` takes, its exit code (0)
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any


def record(plan: dict[str, Any], what: str) -> None:
    path = plan.get("record")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{what} {os.getpid()} {time.time():.3f}\n")
            fh.flush()


def main() -> int:
    # restic asks for SIGINT whatever it inherited (Go's signal.Notify undoes an ignored
    # disposition); a shell's background job starts with SIGINT ignored, so do as restic does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    plan_path = Path(sys.argv[1])
    argv = sys.argv[2:]
    plan: dict[str, Any] = json.loads(plan_path.read_text())
    command = next((a for a in argv if not a.startswith("-")), "")
    if command == "version":
        print(f"restic {plan.get('version', '0.99.0')} compiled with fake on linux/amd64")
        return 0
    if command == "unlock":
        record(plan, "unlock")
        try:
            time.sleep(float(plan.get("unlock_sleep", 0)))
        except KeyboardInterrupt:
            record(plan, "unlock-interrupted")
            return 130
        return int(plan.get("unlock_exit", 0))
    if command == "cat":  # the setup's connection test
        time.sleep(float(plan.get("cat_sleep", 0)))
        return int(plan.get("cat_exit", 0))
    if command in ("forget", "prune", "check"):  # maintenance: quick unless the plan says
        record(plan, command)
        for line in plan.get(f"{command}_lines", []):
            print(line, flush=True)
        try:
            time.sleep(float(plan.get(f"{command}_sleep", 0)))
        except KeyboardInterrupt:
            record(plan, f"{command}-interrupted")
            return 130
        return int(plan.get(f"{command}_exit", 0))
    json_mode = "--json" in argv
    stopped = {"flag": False}

    def on_sigint(_signum: int, _frame: Any) -> None:
        if plan.get("ignore_sigint"):
            record(plan, "ignored-sigint")
            return
        stopped["flag"] = True

    signal.signal(signal.SIGINT, on_sigint)
    record(plan, "start")
    helper = plan.get("helper_sleep")
    if helper:  # a process restic starts (ssh, rclone) that inherits its output
        import subprocess

        subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({float(helper)})"])
    if hasattr(os, "nice"):
        record(plan, f"nice={os.nice(0)}")
    try:
        for line in plan.get("lines", []):
            print(line, flush=True)
        flood = int(plan.get("flood", 0))
        if flood:
            write = sys.stdout.write
            status = (
                '{"message_type":"status","percent_done":%f,"total_files":1000,'
                '"files_done":%d,"total_bytes":1000000,"bytes_done":%d}\n'
            )
            verbose = (
                '{"message_type":"verbose_status","action":"new","item":"/data/file-%d",'
                '"duration":0.001,"data_size":%d,"metadata_size":0,"total_files":1}\n'
            )
            for i in range(flood):
                if i % 2:
                    write(status % (i / flood, i % 1000, i))
                else:
                    write(verbose % (i, i))
            sys.stdout.flush()
        deadline = time.monotonic() + float(plan.get("sleep", 0))
        while time.monotonic() < deadline and not stopped["flag"]:
            if json_mode:
                print(
                    json.dumps(
                        {
                            "message_type": "status",
                            "percent_done": 0.5,
                            "total_files": 10,
                            "files_done": 5,
                            "total_bytes": 1000,
                            "bytes_done": 500,
                            "seconds_remaining": 7,
                        }
                    ),
                    flush=True,
                )
            time.sleep(0.05)
        if stopped["flag"]:
            print("signal interrupt received, cleaning up", file=sys.stderr, flush=True)
            return int(plan.get("sigint_exit", 130))
        code = int(plan.get("exit", 0))
        if json_mode and plan.get("summary", True) and code in (0, 3):
            print(
                json.dumps(
                    {
                        "message_type": "summary",
                        "files_new": 2,
                        "files_changed": 1,
                        "files_unmodified": 7,
                        "data_added": 4096,
                        "total_bytes_processed": 10000,
                        "total_duration": 0.5,
                        "snapshot_id": "fa4e0001",
                    }
                ),
                flush=True,
            )
        return code
    finally:
        record(plan, "end")


if __name__ == "__main__":
    sys.exit(main())
