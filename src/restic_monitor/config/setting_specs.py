"""Every setting of settings.json: its name, kind, default and meaning, in one table.

Validation (:mod:`restic_monitor.config.settings`), its messages and typo
suggestions, ``init``'s example file and the README's table follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The settings window's pages, in order; every setting is on one of them.
GROUPS: tuple[str, ...] = (
    "schedule",
    "what to back up",
    "notifications",
    "maintenance",
    "advanced",
)


@dataclass(frozen=True)
class SettingSpec:
    name: str
    #: "string" | "string-list" | "seconds" | "bool" | "options" | "profile" | "count" |
    #: "path" (a file's path, "" for none) | "url" (http:// or https://, "" for none) |
    #: "command" (an argv list, [] for none) | "choice" (one of ``choices``)
    kind: str
    default: Any
    meaning: str
    positive: bool = False  # for seconds: 0 is not allowed
    required: bool = False
    #: For "options": the restic command they are given to.
    command: str = ""
    #: For "choice": the values allowed.
    choices: tuple[str, ...] = ()
    #: Where the settings window shows it: one of :data:`GROUPS`.
    group: str = ""
    #: A value that is a key (a health check's URL, an ntfy topic): masked everywhere,
    #: shown only while it is edited.
    secret: bool = False


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "restic_exe",
        "string",
        "restic",
        "Path of the restic executable. A bare name is looked up on PATH.",
        group="advanced",
    ),
    SettingSpec(
        "args",
        "string-list",
        None,
        "The restic command line to run, without the executable, for example "
        '["backup", "--exclude-caches", "C:\\\\Users\\\\me"]. Usually starts with "backup".',
        required=True,
        group="what to back up",
    ),
    SettingSpec(
        "min_idle_seconds",
        "seconds",
        300,
        "Idle time (no keyboard or mouse input) needed before a backup starts automatically.",
        group="schedule",
    ),
    SettingSpec(
        "min_seconds_between_backups",
        "seconds",
        3600,
        "Minimum time from the start of the previous backup (automatic or manual) to the "
        "start of an automatic one.",
        group="schedule",
    ),
    SettingSpec(
        "no_backup_warning_seconds",
        "seconds",
        86400,
        "Warn when the last successful backup is older than this.",
        positive=True,
        group="notifications",
    ),
    SettingSpec(
        "ignore_exit_code_3",
        "bool",
        False,
        "Count restic's exit code 3 (snapshot created, but some files could not be read) "
        "as a success.",
        group="what to back up",
    ),
    SettingSpec(
        "pause_seconds",
        "seconds",
        28800,
        'How long "Pause" suspends automatic backups (8 hours by default).',
        positive=True,
        group="schedule",
    ),
    SettingSpec(
        "progress",
        "bool",
        True,
        "Ask restic for JSON progress (adds --json to backup commands) to show percent, "
        "files, bytes and ETA, and to record each run's summary in the history.",
        group="advanced",
    ),
    SettingSpec(
        "low_priority",
        "bool",
        True,
        "Run restic at reduced CPU and I/O priority so that it never slows down your work.",
        group="schedule",
    ),
    SettingSpec(
        "stall_seconds",
        "seconds",
        300,
        "A running backup whose progress has not moved for this long is shown as stalled "
        "(a server that went away, a disk that hangs), so that you can stop it.",
        positive=True,
        group="notifications",
    ),
    SettingSpec(
        "prevent_sleep",
        "bool",
        True,
        "Keep the computer from going to sleep while a backup runs (released when it ends).",
        group="schedule",
    ),
    SettingSpec(
        "skip_on_battery",
        "bool",
        False,
        "Do not start automatic backups while the computer runs on battery.",
        group="schedule",
    ),
    SettingSpec(
        "skip_on_metered",
        "bool",
        False,
        "Do not start automatic backups (nor maintenance) while the network connection is "
        "metered (a phone's hotspot, a capped plan; NetworkManager on Linux, the connection's "
        "cost on Windows, an expensive or Low Data Mode path on macOS). Unknown counts as not "
        "metered; manual backups still run.",
        group="schedule",
    ),
    SettingSpec(
        "backup_anyway_after_seconds",
        "seconds",
        0,
        "Once the last successful backup is this old, back up even while you are using the "
        "computer (at low priority; still not while paused, on battery when skip_on_battery "
        "is set, or within min_seconds_between_backups of the last start). 0: never, back up "
        "only when you are away.",
        group="schedule",
    ),
    SettingSpec(
        "forget_args",
        "options",
        [],
        "The retention policy as restic forget options, such as "
        '["--keep-daily", "7", "--keep-weekly", "5"]. Empty: never forget (nothing is deleted '
        "unless you ask). Only this computer's snapshots are affected unless the options say "
        "otherwise (--host or --group-by).",
        command="forget",
        group="maintenance",
    ),
    SettingSpec(
        "forget_every_seconds",
        "seconds",
        86400,
        "How often the retention policy is applied, when you are away.",
        positive=True,
        group="maintenance",
    ),
    SettingSpec(
        "prune_every_seconds",
        "seconds",
        604800,
        "How often unused data is pruned, when you are away, for a profile with a retention "
        "policy (0: never automatically).",
        group="maintenance",
    ),
    SettingSpec(
        "prune_args",
        "options",
        [],
        'restic prune options, such as ["--max-unused", "10%"].',
        command="prune",
        group="maintenance",
    ),
    SettingSpec(
        "check_every_seconds",
        "seconds",
        604800,
        "How often the repository is checked, when you are away (0: never automatically).",
        group="maintenance",
    ),
    SettingSpec(
        "check_args",
        "options",
        ["--read-data-subset", "2%"],
        "restic check options: by default a random 2 % of the data is read and verified.",
        command="check",
        group="maintenance",
    ),
    SettingSpec(
        "restore_args",
        "options",
        [],
        'Extra restic restore options, such as ["--verify"] (read back every restored file) '
        'or ["--limit-download", "5000"] (KiB/s).',
        command="restore",
        group="advanced",
    ),
    SettingSpec(
        "copy_to_profile",
        "profile",
        "",
        "A mirror: the name of another profile whose repository receives this profile's new "
        "snapshots (restic copy). Empty: no mirror.",
        group="maintenance",
    ),
    SettingSpec(
        "copy_every_seconds",
        "seconds",
        0,
        "How often the mirror is brought up to date, when you are away; 0: after each "
        "successful backup.",
        group="maintenance",
    ),
    SettingSpec(
        "notify_success",
        "bool",
        False,
        "Also show a notification when a backup succeeds (failures and warnings always notify).",
        group="notifications",
    ),
    SettingSpec(
        "before_backup_command",
        "command",
        [],
        'A command run before each backup, as a list: ["/usr/local/bin/dump-db", "--all"] (no '
        'shell unless you write ["sh", "-c", "..."]). Empty: none.',
        group="advanced",
    ),
    SettingSpec(
        "after_backup_command",
        "command",
        [],
        "A command run after each backup, whatever its outcome (also after one a failing "
        "before_backup_command skipped).",
        group="advanced",
    ),
    SettingSpec(
        "on_success_command",
        "command",
        [],
        "A command run after a successful backup.",
        group="advanced",
    ),
    SettingSpec(
        "on_failure_command",
        "command",
        [],
        "A command run after a backup that failed or was incomplete (not after one you stopped).",
        group="advanced",
    ),
    SettingSpec(
        "hook_timeout_seconds",
        "seconds",
        300,
        "How long a hook may run; then it is stopped, with everything it started.",
        positive=True,
        group="advanced",
    ),
    SettingSpec(
        "before_backup_failure",
        "choice",
        "skip",
        'What a failing before_backup_command means: "skip" (the backup does not run; said in '
        'the status and a notification) or "continue" (it runs anyway).',
        choices=("skip", "continue"),
        group="advanced",
    ),
    SettingSpec(
        "healthcheck_url",
        "url",
        "",
        "A health check to ping (healthchecks.io or a compatible server): /start when a backup "
        "starts, the URL itself on success, /fail on failure, with the end of the log. A secret "
        "(masked everywhere); env.json's RESTIC_MONITOR_HEALTHCHECK_URL wins. Empty: none.",
        group="notifications",
        secret=True,
    ),
    SettingSpec(
        "notify_webhook_url",
        "url",
        "",
        "Every notification is also POSTed here as JSON (title, message, level, profile, time, "
        "host). A secret, like RESTIC_MONITOR_WEBHOOK_URL in env.json. Empty: none.",
        group="notifications",
        secret=True,
    ),
    SettingSpec(
        "ntfy_url",
        "url",
        "",
        'Every notification is also sent to this ntfy topic, such as "https://ntfy.sh/my-topic". '
        "A secret, like RESTIC_MONITOR_NTFY_URL in env.json. Empty: none.",
        group="notifications",
        secret=True,
    ),
    SettingSpec(
        "metrics_textfile",
        "path",
        "",
        "A file the metrics are written to after every job (Prometheus text format, for "
        "node_exporter's textfile collector), such as "
        '"/var/lib/node_exporter/textfile/restic_monitor.prom". Empty: none.',
        group="advanced",
    ),
    SettingSpec(
        "pushgateway_url",
        "url",
        "",
        "A Prometheus Pushgateway the metrics are pushed to after every job (job restic_monitor, "
        'grouped by host and profile), such as "http://pushgateway:9091". Empty: none.',
        group="advanced",
    ),
    SettingSpec(
        "keep_run_logs",
        "count",
        30,
        "How many runs' own restic logs to keep (in logs/runs, viewable from the history); "
        "0: keep only restic-last.log and the other last-run logs.",
        group="advanced",
    ),
)
