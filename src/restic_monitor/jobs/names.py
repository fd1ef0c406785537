"""The kinds of job by name, without their modules (the command line's choices)."""

JOB_KINDS = ("backup", "unlock", "copy", "forget", "prune", "check")
