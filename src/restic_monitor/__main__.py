"""``python -m restic_monitor``."""

import sys

from restic_monitor.cli import main

sys.exit(main())
