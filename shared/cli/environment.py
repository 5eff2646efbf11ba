"""Where the CLI's engine points: Azure through the app settings it is given, or the local emulator.

Like the Function App, the CLI reads its settings from the environment (``shared.settings``), and
its credential is ``DefaultAzureCredential``: on a workstation ``az login`` is enough. ``--emulator``
merges the app settings a running emulator lists in its ready file (``python -m emulator
--ready-file F``) into the environment first, as the tests and the demo do for the Functions host;
``--config`` sets ``GOVERNANCE_CONFIG``.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path


class ReadyFileError(Exception):
    """The ``--emulator`` file is not a running emulator's ready file."""


def emulator_settings(ready_file: Path) -> dict[str, str]:
    """The ``app_settings`` of an emulator's ready file."""
    try:
        document = json.loads(ready_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReadyFileError(f"cannot read the emulator's ready file {ready_file}: {error.strerror}") from None
    except ValueError:
        raise ReadyFileError(f"{ready_file} is not an emulator ready file: not JSON") from None
    settings = document.get("app_settings") if isinstance(document, dict) else None
    if not isinstance(settings, dict) or not settings:
        raise ReadyFileError(f"{ready_file} is not an emulator ready file: it has no app_settings")
    return {str(name): str(value) for name, value in settings.items()}


def point(environ: MutableMapping[str, str], *, emulator: Path | None, config: Path | None) -> None:
    """Apply ``--emulator`` (its app settings) and then ``--config`` to the environment."""
    if emulator is not None:
        environ.update(emulator_settings(emulator))
    if config is not None:
        environ["GOVERNANCE_CONFIG"] = str(config)
