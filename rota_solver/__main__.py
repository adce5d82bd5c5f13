"""Entry point for `python -m rota_solver`."""

import sys

from rota_solver.cli import main

sys.exit(main())
