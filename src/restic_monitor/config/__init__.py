"""Configuration: the profiles of a home, their settings.json and env.json, validated."""
