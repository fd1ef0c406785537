"""The status and history documents: typed, built in one place, shown in words."""
