"""``python -m restic_monitor``."""

import sys

from restic_monitor.cli.entry import main

sys.exit(main())
