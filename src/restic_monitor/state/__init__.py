"""What survives a restart: per-profile state files and the run history."""
