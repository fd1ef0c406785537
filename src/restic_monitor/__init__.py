"""restic-monitor: backs up with restic when you are away, and tells the truth about it."""

__version__ = "0.1.0"
