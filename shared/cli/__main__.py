"""``python -m shared.cli``: the ``dpgov`` console script without installing the package."""

import sys

from shared.cli import main

sys.exit(main())
