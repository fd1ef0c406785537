"""Setting a profile up: the one implementation behind ``setup``'s three faces.

The command line, the terminal prompts and the tray's wizard ask the same
questions and call the same functions here (repository kinds and their
fields, the connection test, presets and the size estimate, writing the
files), so that what one face accepts the others accept too. Nothing here
imports a GUI.
"""
