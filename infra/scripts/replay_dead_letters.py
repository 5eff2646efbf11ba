"""Replay dead-lettered events: reconcile each resource group they name, through the app's HTTP API.

An event is only a hint that names a resource group (shared/events.py), so replaying one is asking the
app to reconcile that group now: ``POST /api/dataproducts/{subscription}/{group}/sync``. The blobs
stay where they are (the storage account deletes them after 30 days); the timer would have repaired
the groups at its next run anyway.

    python -m infra.scripts.replay_dead_letters [--dry-run] [--key KEY]

Reads the azd environment (``azd env get-values``): ``DPGOV_DEADLETTER_BLOB_URI`` and
``SERVICE_API_URI``; the function key comes from ``--key`` or ``DPGOV_FUNCTION_KEY``. Reading the
container needs Storage Blob Data Reader on it, which the deployment gives the operator who ran azd.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from azure.identity import DefaultAzureCredential
from azure.storage.blob import ContainerClient

_GROUP = re.compile(r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)", re.IGNORECASE)


def groups_in(document: Any) -> set[tuple[str, str]]:
    """The (subscription id, resource group) pairs named by a dead-letter blob's events.

    Event Grid writes a JSON array of the undelivered events (each with its delivery outcome); a
    single event object is accepted too.
    """
    events = document if isinstance(document, list) else [document]
    found: set[tuple[str, str]] = set()
    for event in events:
        if not isinstance(event, dict):
            continue
        data = event.get("data")
        if not isinstance(data, dict):
            data = {}
        for candidate in (data.get("resourceUri"), event.get("subject")):
            match = _GROUP.match(candidate) if isinstance(candidate, str) else None
            if match:
                found.add((match["subscription"].lower(), match["group"]))
                break
    return found


def sync_url(app_uri: str, subscription_id: str, group: str) -> str:
    return f"{app_uri.rstrip('/')}/api/dataproducts/{quote(subscription_id)}/{quote(group)}/sync"


def dead_letter_documents(container_uri: str) -> Iterable[Any]:
    container = ContainerClient.from_container_url(container_uri, credential=DefaultAzureCredential())
    with container:
        for blob in container.list_blobs():
            yield json.loads(container.download_blob(blob.name).readall())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.scripts.replay_dead_letters", description=__doc__)
    parser.add_argument("--container", default=os.environ.get("DPGOV_DEADLETTER_BLOB_URI", ""))
    parser.add_argument("--app", default=os.environ.get("SERVICE_API_URI", ""))
    parser.add_argument("--key", default=os.environ.get("DPGOV_FUNCTION_KEY", ""))
    parser.add_argument("--dry-run", action="store_true", help="list the groups, reconcile nothing")
    arguments = parser.parse_args(argv)
    if not arguments.container or not arguments.app:
        parser.error("DPGOV_DEADLETTER_BLOB_URI and SERVICE_API_URI come from `azd env get-values`")
    if not arguments.dry_run and not arguments.key:
        parser.error("a function key is needed: --key or DPGOV_FUNCTION_KEY")
    groups: set[tuple[str, str]] = set()
    for document in dead_letter_documents(arguments.container):
        groups |= groups_in(document)
    failed = 0
    for subscription_id, group in sorted(groups):
        if arguments.dry_run:
            print(f"{subscription_id}/{group}")
            continue
        request = urllib.request.Request(
            sync_url(arguments.app, subscription_id, group), method="POST", headers={"x-functions-key": arguments.key}
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                print(f"{subscription_id}/{group}: {response.status}")
        except urllib.error.HTTPError as error:
            failed += 1
            print(f"{subscription_id}/{group}: {error.code} {error.read().decode(errors='replace')[:200]}")
    print(f"{len(groups)} groups named by dead-lettered events; {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
