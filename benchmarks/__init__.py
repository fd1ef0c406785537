"""restic-monitor's benchmarks: ``uv run python benchmarks/run.py --help``."""
