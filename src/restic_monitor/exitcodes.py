"""Exit codes of the command line, shared by every front end."""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INSTANCE = 4
EXIT_INTERRUPTED = 130
