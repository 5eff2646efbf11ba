"""``dpgov``: the operator CLI — the engine the Function App runs, from a workstation or a pipeline.

    dpgov validate [CONFIG]
    dpgov plan   [--subscription ID [--group NAME] | --landing-zone NAME]
    dpgov apply  [--subscription ID [--group NAME] | --landing-zone NAME] [--yes]
    dpgov inventory [--landing-zone NAME]
    dpgov explain SUBSCRIPTION GROUP
    dpgov ledger show [--subscription ID [--group NAME]]
    dpgov ledger unpin --subscription ID --group NAME
    dpgov rbac-condition [CONFIG]
    dpgov schema > governance.schema.json

Every command takes ``--output json`` (``-o json``): one JSON document on stdout, nothing else
there; the Azure commands take ``--config PATH`` and ``--emulator READY_FILE``. Exit codes: 0 when
there is nothing to change or everything was done, 2 when ``plan`` found changes, 1 otherwise.
``python -m shared.cli`` is the same CLI.

The Function App never imports this package (typer and rich are not deployed; ``.funcignore`` keeps
it back). ``app`` is the imperative shell (the commands), ``render`` the pure presentation of
reports, ``environment`` where the engine points, ``progress`` the indicator on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's entry point (``dpgov = "shared.cli:main"`` in pyproject.toml).

    Importing this package imports nothing else, so ``shared.cli.render`` and friends can be used
    alone; the commands come in with the first call.
    """
    from shared.cli.app import main as run  # noqa: PLC0415 - see the docstring

    return run(argv)
