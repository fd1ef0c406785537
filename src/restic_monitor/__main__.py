"""``python -m restic_monitor``."""

import sys

from restic_monitor.cli.main import main

sys.exit(main())
