"""``restic-monitor setup``: from nothing to a working profile, without editing JSON.

Non-interactive (for scripts and fleets): the repository, the password's
source, the folders and excludes come as options. The connection is tested
first (``restic cat config``) and told apart in words: no repository there
yet (``--init`` creates it), wrong password, cannot reach the server,
permission denied, locked. Nothing is written until the test passes; then
env.json (owner-only) and settings.json (with every default) are written
atomically, existing ones kept unless ``--force``.

restic 0.17 and later retry a failing backend for up to 15 minutes, saying so
on each try; the test reads what restic says while it runs and answers from
its first failure when that names the cause (a server that cannot be reached,
an S3 bucket that does not exist yet, permission denied), or after a short
grace when it does not, instead of waiting for restic to give up.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restic_monitor.cli.common import CliError
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from restic_monitor.paths import DEFAULT_PROFILE, Home, valid_profile_name

if TYPE_CHECKING:
    from restic_monitor.restic.command import ResticCommand

#: Excludes offered to everyone: caches and trash never need a backup.
DEFAULT_FLAGS = ("--exclude-caches", "--exclude-if-present", ".nobackup")


def _env(args: argparse.Namespace) -> dict[str, Any]:
    env: dict[str, Any] = {"RESTIC_REPOSITORY": args.repository}
    sources = [bool(args.password_stdin), bool(args.password_command), bool(args.password_file)]
    if sum(sources) != 1:
        raise CliError(
            "give the password one way: --password-stdin, --password-command CMD or "
            "--password-file FILE",
            EXIT_USAGE,
        )
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input", EXIT_USAGE)
        env["RESTIC_PASSWORD"] = password
    elif args.password_command:
        env["RESTIC_PASSWORD_COMMAND"] = args.password_command
    else:
        env["RESTIC_PASSWORD_FILE"] = str(Path(args.password_file).expanduser().absolute())
    for item in args.env or ():
        name, eq, value = item.partition("=")
        if not eq or not name or name.startswith("RESTIC_MONITOR_"):
            raise CliError(f"--env {item.split('=')[0]}=…: expected NAME=VALUE", EXIT_USAGE)
        env[name] = value
    return env


#: How long the connection test waits for restic's answer.
TEST_TIMEOUT = 120.0
#: How long it waits on once restic retries an error that names no known cause.
RETRY_GRACE = 10.0
#: restic 0.17+: ``Stat(<config/>) returned error, retrying after 1.4s: <the error>``.
_RETRYING = re.compile(r"returned error, retrying after [^:]*: (?P<error>.+)$")


def _reason_of(error: str) -> str | None:
    """What a backend error restic retries says about the repository, if anything."""
    from restic_monitor.restic.outcomes import reason_from_messages

    lowered = error.lower()
    if "permission denied" in lowered:
        return "permission_denied"
    # S3 (restic counts only a missing object as "no repository", and retries this):
    if "bucket does not exist" in lowered or "nosuchbucket" in lowered:
        return "repository_missing"
    return reason_from_messages([error])


def _ask(cmd: ResticCommand) -> tuple[int | None, list[str], str]:
    """Run restic and read its stderr as it comes: (exit code, masked lines, "") when it
    ends; (None, lines, the error it retries) when stopped for that, or on time."""
    from restic_monitor.platform.process import hard_kill, popen_options

    proc = subprocess.Popen(
        list(cmd.argv), env=cmd.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, **popen_options(low_priority=False),
    )  # fmt: skip
    said: queue.Queue[bytes | None] = queue.Queue()

    def pump(pipe: Any) -> None:
        for raw in pipe:
            said.put(raw)
        said.put(None)

    reader = threading.Thread(target=pump, args=(proc.stderr,), daemon=True)
    reader.start()
    lines: list[str] = []
    error = ""
    deadline = time.monotonic() + TEST_TIMEOUT
    try:
        while True:
            try:
                raw = said.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                return None, lines, error
            if raw is None:
                return proc.wait(), lines, ""
            for line in cmd.masked_lines(raw):
                lines.append(line)
                retrying = _RETRYING.search(line)
                if retrying:
                    error = retrying["error"].strip()
                    if _reason_of(error):
                        return None, lines, error
                    deadline = min(deadline, time.monotonic() + RETRY_GRACE)
    finally:
        hard_kill(proc)
        proc.wait()
        reader.join(5)
        if proc.stderr is not None:
            proc.stderr.close()


def _test(restic: str, env: dict[str, str]) -> tuple[str, str]:
    """(reason, restic's last words): ``ok``, ``repository_missing``, ``wrong_password``,
    ``repository_unreachable``, ``permission_denied``, ``locked`` or ``fatal``."""
    from restic_monitor.restic.command import Restic
    from restic_monitor.restic.outcomes import classify

    code, lines, error = _ask(Restic(restic, env).command("--no-lock", "cat", "config"))
    if code is None:  # stopped: restic kept retrying, or said nothing in time
        if not error:
            return "repository_unreachable", f"no answer within {TEST_TIMEOUT:.0f} s"
        return _reason_of(error) or "fatal", error
    said = next((ln for ln in reversed(lines) if "atal" in ln), lines[-1] if lines else "")
    if code == 0:
        return "ok", ""
    if any("permission denied" in ln.lower() for ln in lines):
        return "permission_denied", said
    return classify(code, lines).reason, said


_WORDS = {
    "repository_missing": "there is no repository at {where} yet: add --init to create one there",
    "wrong_password": "the password does not open the repository at {where}",
    "repository_unreachable": "cannot reach {where} (the name, the port, the network?)",
    "permission_denied": "permission denied at {where}",
    "locked": "the repository at {where} is locked by another restic",
}


def cmd_setup(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.config.profile import example_settings
    from restic_monitor.restic.command import Restic, ResticUnavailable, find_restic
    from restic_monitor.restic.masking import Redactor, secrets_of
    from restic_monitor.state.files import atomic_write

    name = getattr(args, "profile", None) or getattr(args, "global_profile", None)
    name = name or DEFAULT_PROFILE
    if name != DEFAULT_PROFILE and not valid_profile_name(name):
        raise CliError(f"{name!r} cannot be a profile's name", EXIT_USAGE)
    paths = home.profile(name)
    existing = [p for p in (paths.settings_json, paths.env_json) if p.exists()]
    if existing and not args.force:
        raise CliError(
            f"{', '.join(map(str, existing))} exist already: nothing written (--force replaces)",
            EXIT_USAGE,
        )
    env = _env(args)
    try:
        restic = find_restic(args.restic_exe)
    except ResticUnavailable as exc:
        raise CliError(exc.message, EXIT_USAGE) from None
    where = Redactor(secrets_of(env)).text(args.repository)
    print(f"Testing the connection to {where}…", file=sys.stderr)
    reason, said = _test(restic, env)
    if reason == "repository_missing" and args.init:
        init = Restic(restic, env).command("init")
        try:
            done = init.run(timeout=300)
        except subprocess.TimeoutExpired:
            raise CliError(
                f"restic init at {where} did not finish within 300 s", EXIT_FAILED
            ) from None
        if done.returncode != 0:
            last = (init.masked_lines(done.stderr) or [""])[-1]
            raise CliError(f"restic init at {where} failed: {last}", EXIT_FAILED)
        print(f"Created a new repository at {where}.", file=sys.stderr)
        reason = "ok"
    if reason != "ok":
        words = _WORDS.get(reason, "restic cannot open the repository at {where}").format(
            where=where
        )
        detail = f" ({said})" if said and reason not in ("repository_missing",) else ""
        raise CliError(f"{words}{detail}. Nothing was written.", EXIT_FAILED)
    if args.keyring and "RESTIC_PASSWORD" in env:
        from restic_monitor.secrets_store import set_secret

        entry = f"restic-monitor {name} password"
        set_secret(entry, env["RESTIC_PASSWORD"])
        env["RESTIC_PASSWORD"] = {"keyring": entry}
    folders = [str(Path(f).expanduser().absolute()) for f in args.folder or ()]
    if not folders:
        folders = [str(Path.home() / "Documents")]
    excludes = [x for pattern in args.exclude or () for x in ("--exclude", pattern)]
    settings = example_settings(args.restic_exe if args.restic_exe != "restic" else None)
    settings["args"] = ["backup", *DEFAULT_FLAGS, *excludes, *folders]
    paths.ensure()
    atomic_write(paths.env_json, (json.dumps(env, indent=4) + "\n").encode(), mode=0o600)
    atomic_write(paths.settings_json, (json.dumps(settings, indent=4) + "\n").encode(), 0o644)
    print(f"Wrote {paths.env_json} and {paths.settings_json}.")
    which = "" if name == DEFAULT_PROFILE else f" --profile {name}"
    backup, run, install = (home.command(c) for c in ("backup" + which, "run", "install"))
    print(f"Back up now with `{backup}`, or start the monitor (`{run}`; `{install}` starts it "
          "at login).")  # fmt: skip
    return EXIT_OK


def add_setup_parser(add: Any) -> None:
    p = add("setup", help="set up a profile: test the repository, write env.json and settings.json")
    where = "restic's repository: a folder, sftp:, rest:, s3:, b2:, azure:, gs:, rclone:…"
    p.add_argument("--repository", required=True, metavar="URL", help=where)
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--password-command", metavar="CMD", help="a command that prints it")
    p.add_argument("--password-file", metavar="FILE", help="a file that holds it")
    p.add_argument("--env", action="append", metavar="NAME=VALUE",
                   help="another variable for restic (keys, region…); repeatable")  # fmt: skip
    p.add_argument("--folder", action="append", metavar="PATH", help="back this up; repeatable")
    p.add_argument("--exclude", action="append", metavar="PATTERN", help="leave this out")
    p.add_argument("--init", action="store_true", help="create the repository if none is there")
    p.add_argument("--keyring", action="store_true",
                   help="keep the password in the system keyring, not in env.json")  # fmt: skip
    p.add_argument("--restic-exe", default="restic", metavar="PATH", help="restic to use")
    p.add_argument("--profile", metavar="NAME", help="set up this profile (default: default)")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func="setup_command:cmd_setup")
