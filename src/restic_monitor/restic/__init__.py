"""What restic-monitor knows about restic: commands, environment, output, exit codes, a run."""
