"""Pure decisions: when a profile backs up, when to warn, how long to back off."""
