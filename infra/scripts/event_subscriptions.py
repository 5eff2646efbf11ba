"""azd hooks around the Event Grid subscriptions, which Azure accepts only once the function exists.

``enable`` (postdeploy): the first time the code is on the app, turn on main.bicep's
``eventSubscriptions`` parameter (azd environment value ``DPGOV_EVENT_SUBSCRIPTIONS``) and provision
again, which creates one subscription per landing zone pointing at ``on_resource_event``. Every
later ``azd up`` provisions with the flag on, after which the code is already there.

``reset`` (postdown): turn the flag off again, so that a later ``azd up`` of the same environment
deploys the code before it subscribes.

    python -m infra.scripts.event_subscriptions enable|reset
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

FLAG = "DPGOV_EVENT_SUBSCRIPTIONS"


def commands(action: str, environ: Mapping[str, str]) -> list[list[str]]:
    """The azd commands an action needs in this azd environment (none when there is nothing to do)."""
    name = environ.get("AZURE_ENV_NAME", "").strip()
    target = ["-e", name] if name else []
    enabled = environ.get(FLAG, "").strip().lower() == "true"
    if action == "enable":
        if enabled:
            return []
        return [["azd", "env", "set", FLAG, "true", *target], ["azd", "provision", "--no-prompt", *target]]
    if action == "reset":
        return [["azd", "env", "set", FLAG, "false", *target]]
    raise ValueError(f"unknown action {action!r}: use enable or reset")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        steps = commands(arguments[0], os.environ)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if not steps:
        print(f"{FLAG}=true: the event subscriptions were provisioned with the infrastructure")
        return 0
    for step in steps:
        print("+", " ".join(step), flush=True)
        subprocess.run(step, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
