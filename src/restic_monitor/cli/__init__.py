"""The command line: drives the running instance, or acts directly when none runs."""
