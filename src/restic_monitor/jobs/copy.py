"""The copy job: a profile's new snapshots copied into its mirror (``copy_to_profile``).

``restic copy`` runs against the mirror's repository (its env.json) and reads
the source through restic's ``RESTIC_FROM_*`` variables, made from this
profile's env.json: no location or password ever goes on the command line.
restic skips the snapshots the mirror already has, so a copy after every
backup moves only what is new. It says "snapshot ... saved" for each one
copied (0.14 to 0.19).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from restic_monitor.config.settings import Settings
from restic_monitor.jobs.base import CannotRun, JobContext, Refusal, RunPlan, Verdict, restic_for
from restic_monitor.jobs.maintenance import failure_notice, maintenance_verdict
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.command import Restic
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.runner import RunResult

_SAVED = re.compile(r"^snapshot \w+ saved")
#: The source repository's variables, as restic copy reads them.
_FROM = {
    "RESTIC_REPOSITORY": "RESTIC_FROM_REPOSITORY",
    "RESTIC_REPOSITORY_FILE": "RESTIC_FROM_REPOSITORY_FILE",
    "RESTIC_PASSWORD": "RESTIC_FROM_PASSWORD",
    "RESTIC_PASSWORD_FILE": "RESTIC_FROM_PASSWORD_FILE",
    "RESTIC_PASSWORD_COMMAND": "RESTIC_FROM_PASSWORD_COMMAND",
    "RESTIC_KEY_HINT": "RESTIC_FROM_KEY_HINT",
}


def copy_env(source: Mapping[str, str], mirror: Mapping[str, str]) -> dict[str, str]:
    """The mirror's variables, the source's as ``RESTIC_FROM_*``, and the source's other
    variables (a backend's credentials) where the mirror does not set the same name."""
    env = dict(mirror)
    for name, value in source.items():
        if name in _FROM:
            env[_FROM[name]] = value
        elif name not in env and not name.startswith("RESTIC_"):
            env[name] = value
    return env


class CopyKind:
    name = "copy"
    is_backup = False
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        if settings.copy_to_profile:
            return None
        return Refusal(
            f"profile {profile.name} has no mirror (copy_to_profile is empty in "
            f"{profile.settings_json}): nothing to copy",
            nothing_to_do=True,
        )

    def plan(self, context: JobContext) -> RunPlan:
        settings = context.config.settings
        mirror = context.peer_config
        if mirror is None or context.peer is None:
            raise CannotRun(
                Verdict(
                    Outcome.ERROR,
                    "no_mirror",
                    f"The mirror {settings.copy_to_profile!r} (copy_to_profile) is not a "
                    "profile with a valid configuration.",
                )
            )
        exe = restic_for(context).exe  # raises the verdict when restic cannot run
        restic = Restic(exe, copy_env(context.config.env, mirror.env), also_mask=context.also_mask)
        header = f"trigger: {context.trigger}, profile: {context.profile.name}, "
        header += f"mirror: {context.peer.name}"
        return RunPlan(
            command=restic.command("copy"),
            log_path=context.profile.logs / "restic-copy.log",
            low_priority=settings.low_priority,
            header=header,
            restic_version=context.restic_version(exe),
            collect=(_SAVED.pattern,),
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        copied = sum(1 for line in result.collected if _SAVED.match(line))
        verdict = maintenance_verdict("Copy", result, {"snapshots_copied": copied})
        if verdict.counted_success:
            to = settings.copy_to_profile
            message = f"Mirror {to} up to date: {copied} snapshots copied."
            return Verdict(verdict.outcome, verdict.reason, message, True, verdict.fields)
        return verdict

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        return failure_notice("Copy to the mirror", verdict, result)


COPY = CopyKind()
