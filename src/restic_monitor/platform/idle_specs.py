"""The idle sources' names, for help texts and messages.

Apart from the sources themselves so that the command line's help can name
them without importing every idle source (and what they import).
"""

SPECS = (
    "auto, fixed:SECONDS, file:PATH, x11[:DISPLAY], gnome, cinnamon, wayland[:SOCKET], "
    "screensaver, windows, macos or none"
)
