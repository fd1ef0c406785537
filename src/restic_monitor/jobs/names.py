"""The kinds of job by name, without their modules (the command line's choices)."""

JOB_KINDS = ("backup", "unlock", "copy", "forget", "prune", "check", "restore")
#: The kinds that keep a repository healthy, in the order they run when due together:
#: the mirror gets the new snapshot first, then the retention policy and the rest.
MAINTENANCE = ("copy", "forget", "prune", "check")
