"""Which restic options a maintenance setting may hold, so that a typo is caught at once.

``forget_args``, ``prune_args``, ``check_args`` and ``restore_args`` are handed to restic as they
are; checking them here means a misspelt ``--keep-dayly`` or a stray word is a
configuration problem naming the setting, not a failed run at three in the
morning. The tables list the options of restic 0.14 to 0.19.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Global options that take a value and are harmless in any command.
_GLOBAL_VALUES = {
    "--cache-dir", "--cacert", "--tls-client-cert", "--limit-upload", "--limit-download",
    "-o", "--option", "--compression", "--pack-size", "--retry-lock", "--stuck-request-timeout",
}  # fmt: skip
_GLOBAL_FLAGS = {"--no-cache", "--cleanup-cache", "--insecure-tls", "--no-extra-verify"}
#: Options restic-monitor sets itself, or that would point restic elsewhere.
_OURS = {
    "-r": "the repository comes from env.json (RESTIC_REPOSITORY)",
    "--repo": "the repository comes from env.json (RESTIC_REPOSITORY)",
    "--repository-file": "the repository comes from env.json",
    "-p": "the password comes from env.json",
    "--password-file": "the password comes from env.json (RESTIC_PASSWORD_FILE)",
    "--password-command": "the password comes from env.json (RESTIC_PASSWORD_COMMAND)",
    "--key-hint": "set RESTIC_KEY_HINT in env.json",
    "--json": "restic-monitor reads restic's output itself",
    "-q": "restic-monitor reads restic's output itself",
    "--quiet": "restic-monitor reads restic's output itself",
    "-v": "restic-monitor reads restic's output itself",
    "--verbose": "restic-monitor reads restic's output itself",
    "-h": "there is no one to read the help",
    "--help": "there is no one to read the help",
    "--no-lock": "maintenance must lock the repository",
}

OPTIONS: dict[str, tuple[set[str], set[str], dict[str, str]]] = {
    # command: (options that take a value, flags, options refused with the reason)
    "forget": (
        {
            "-l", "--keep-last", "-H", "--keep-hourly", "-d", "--keep-daily", "-w",
            "--keep-weekly", "-m", "--keep-monthly", "-y", "--keep-yearly", "--keep-within",
            "--keep-within-hourly", "--keep-within-daily", "--keep-within-weekly",
            "--keep-within-monthly", "--keep-within-yearly", "--keep-tag", "--host", "--tag",
            "--path", "-g", "--group-by",
        },
        {"-c", "--compact", "-n", "--dry-run", "--unsafe-allow-remove-all"},
        {
            "--prune": "prune runs on its own schedule: set prune_every_seconds and prune_args",
            "--max-unused": "a prune option: put it in prune_args",
            "--max-repack-size": "a prune option: put it in prune_args",
            "--repack-cacheable-only": "a prune option: put it in prune_args",
            "--repack-small": "a prune option: put it in prune_args",
            "--repack-smaller-than": "a prune option: put it in prune_args",
            "--repack-uncompressed": "a prune option: put it in prune_args",
        },
    ),
    "prune": (
        {"--max-unused", "--max-repack-size", "--repack-smaller-than"},
        {
            "-n", "--dry-run", "--repack-cacheable-only", "--repack-small",
            "--repack-uncompressed",
        },
        {"--unsafe-recover-no-free-space": "a one-time repair: run it by hand with "
         "`restic-monitor restic prune ...`"},
    ),
    "check": (
        {"--read-data-subset", "-H", "--host", "--path", "--tag"},
        {"--read-data", "--with-cache"},
        {},
    ),
    "restore": (
        set(),
        {"--verify", "--sparse"},
        {
            "--target": "restic-monitor restore --target (or the window) says where",
            "-t": "restic-monitor restore --target (or the window) says where",
            "--include": "name the files and folders to restore instead",
            "-i": "name the files and folders to restore instead",
            "--exclude": "name the files and folders to restore instead",
            "-e": "name the files and folders to restore instead",
            "--overwrite": "restic-monitor restore --overwrite decides, per restore",
            "--delete": "restic-monitor never deletes files in the target",
            "--dry-run": "the restore window and the conflict check show what would change",
        },
    ),
}  # fmt: skip


def check_options(command: str, args: Sequence[str]) -> str | None:
    """Why ``args`` cannot be restic ``command``'s options here, or None when they can."""
    values, flags, refused = OPTIONS[command]
    values = values | _GLOBAL_VALUES
    flags = flags | _GLOBAL_FLAGS
    refused = {**_OURS, **refused}
    known = sorted(values | flags)
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if not arg.startswith("-") or arg == "-":
            return (
                f"{arg!r} is not an option: expected restic {command} options such as "
                f"{_example(command)}."
            )
        if name in refused:
            return f"{name} cannot be used here: {refused[name]}."
        if name in values:
            if "=" in arg:
                i += 1
                continue
            if i + 1 >= len(args):
                return f"{name} needs a value after it."
            i += 2
            continue
        if name in flags:
            if "=" in arg:
                return f"{name} takes no value."
            i += 1
            continue
        import difflib  # (only for a typo: the idle tray does not keep it in memory)

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"{name} is not an option of restic {command}{hint}."
    return None


def _example(command: str) -> str:
    return {
        "forget": '"--keep-daily", "7"',
        "prune": '"--max-unused", "10%"',
        "check": '"--read-data-subset", "2%"',
        "restore": '"--verify"',
    }[command]


def has_option(args: Sequence[str], *names: str) -> bool:
    return any(a.split("=", 1)[0] in names for a in args)


def option_value(args: Sequence[str], *names: str) -> str | None:
    """The value of the last of these options in ``args`` (``--host X`` or ``--host=X``)."""
    found = None
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in names:
            if eq:
                found = value
            elif i + 1 < len(args):
                found = args[i + 1]
    return found
