"""Kinds of restic jobs: each says how to build its command and what its outcome means."""
