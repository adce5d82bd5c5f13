"""`python -m oncall`: the same as the `oncall` command."""

import sys

from oncall.cli import main

sys.exit(main())
