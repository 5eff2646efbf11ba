"""Resource-group deletion as ARM runs it: a long-running operation polled through ``Location``.

``DELETE`` answers 202 with a ``Location`` under ``/subscriptions/{sub}/operationresults/…``; the
group stays visible with ``provisioningState: Deleting`` until the job finishes, then disappears
with everything in it, and only then is the delete event published. A job finishes on its second
poll or after a short delay, whichever comes first. The delay is shorter than the smallest non-zero
``Retry-After`` the 202 carries (whole seconds, see ``state.DEFAULT_LRO_RETRY_AFTER``): azure-core
polls once straight away (202) and, after waiting ``Retry-After``, finds the job done.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

from ..eventgrid.publisher import EventGridPublisher
from .errors import ArmError
from .store import ResourceGroup, Store, utc_now_iso

__all__ = ["DeletionJob", "DeletionJobs"]

COMPLETE_AFTER_SECONDS = 0.3


@dataclass
class DeletionJob:
    token: str
    subscription_id: str
    group_name: str
    event: dict[str, Any]
    polls: int = 0
    done: bool = False
    timer: asyncio.TimerHandle | None = None


def job_token(group: ResourceGroup) -> str:
    """ARM's job id: base64url of ``{"jobId": "RESOURCEGROUPDELETIONJOB-<RG>-<LOCATION>", "jobLocation"}``."""
    payload = {
        "jobId": f"RESOURCEGROUPDELETIONJOB-{group.name.upper()}-{group.location.upper()}",
        "jobLocation": group.location,
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


class DeletionJobs:
    """Running and finished group deletions, by job token."""

    def __init__(self, store: Store, publisher: EventGridPublisher, delay: float = COMPLETE_AFTER_SECONDS) -> None:
        self._store = store
        self._publisher = publisher
        self._delay = delay
        self._jobs: dict[str, DeletionJob] = {}

    def start(self, group: ResourceGroup, event: dict[str, Any]) -> DeletionJob:
        """Mark the group Deleting and schedule its removal; a second DELETE joins the running job."""
        token = job_token(group)
        running = self._jobs.get(token)
        if running is not None and not running.done:
            return running
        group.provisioning_state = "Deleting"
        job = DeletionJob(token, group.subscription_id, group.name, event)
        self._jobs[token] = job
        self._publisher.hold()
        job.timer = asyncio.get_running_loop().call_later(self._delay, self._complete, job)
        return job

    def poll(self, subscription_id: str, token: str) -> bool:
        """Whether the job is done; the second poll finishes it."""
        job = self._jobs.get(token)
        if job is None or job.subscription_id.casefold() != subscription_id.casefold():
            raise ArmError(404, "NotFound", f"The operation '{token}' could not be found.")
        job.polls += 1
        if not job.done and job.polls >= 2:
            self._complete(job)
        return job.done

    def _complete(self, job: DeletionJob) -> None:
        if job.done:
            return
        job.done = True
        if job.timer is not None:
            job.timer.cancel()
        self._store.remove_group(job.subscription_id, job.group_name)
        # The event was built from the DELETE request, but ResourceDeleteSuccess reports the
        # deletion's success: it happens (and is timed) now, after events published meanwhile.
        job.event["eventTime"] = utc_now_iso()
        self._publisher.publish(job.event)
        self._publisher.release()

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            if job.timer is not None:
                job.timer.cancel()
        self._jobs.clear()
