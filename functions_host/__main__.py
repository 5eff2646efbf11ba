"""``python -m functions_host [--port 7071] [--host H] [--app function_app:app] [--ready-file F] ...``."""

from __future__ import annotations

import sys

from .host import main

if __name__ == "__main__":
    sys.exit(main())
