"""The engine: a scheduler over profiles and one job queue, and the thread that runs it."""
