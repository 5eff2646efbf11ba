#!/bin/sh
# Runs an azd hook's Python module (infra/scripts/<name>.py) from the project root, with the project's
# virtualenv when there is one (`make test` or `make demo` builds it), else python3 with the packages in
# requirements.txt installed.
set -eu
module="$1"
shift
python=".venv/bin/python"
[ -x "$python" ] || python="python3"
exec "$python" -m "infra.scripts.$module" "$@"
