"""The outcome events a report calls for: which type, which id, what data — and never personal data.

The builder is pure; these pin its rules over real reports (the tags aspect's real action and
conditions) and, with hypothesis, that ids are deterministic and that nothing a person typed into a
tag or a message reaches an event. The publishing adapter is tested against the emulator's topic
(tests/integration/test_outcome_events.py).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from shared.aspects.base import Disposition, Finding, FindingKind
from shared.aspects.tags import MergeTags, TagsAspect
from shared.azure.outcome_topic import listed
from shared.classify import Unclassified
from shared.config import GovernanceConfig
from shared.identity import Identity, IdentityConflict
from shared.model import DataProduct, GroupRef
from shared.outcome_events import NAMESPACE, OutcomeType, batches, event_id, outcome_events, outcome_type
from shared.plan import Plan
from shared.reconciler import Reconciler
from shared.report import ActionResult, Condition, GroupReport, Outcome, Status
from tests.unit.fakes import EMEA, MemoryInventory, MemoryLedger

ORDERS = GroupRef(EMEA, "dp-sales-orders-rg")
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-rg"
PRODUCT = DataProduct("lz-emea", "sales", "orders", "prd")
NOW = datetime.datetime(2026, 11, 27, 14, 30, tzinfo=datetime.UTC)
TRIGGER = "5e1f0000-0000-4000-8000-000000000001"
OWNER = "sales-data@contoso.com"
TAGS = MergeTags(ORDERS, {"CostCenter": "CC-1001", "Owner": OWNER})
NAMED = Identity(PRODUCT, "name", recorded=True)
TAGS_KEY = f"tags:/subscriptions/{EMEA}/resourcegroups/dp-sales-orders-rg"


def report(
    outcome: Outcome = Outcome.CHANGED,
    *,
    status: Status = Status.CHANGED,
    planned: bool = True,
    identity: Identity | None = NAMED,
    message: str = f"merge tags on dp-sales-orders-rg: Owner={OWNER}",
    findings: tuple[Finding, ...] = (),
    **flags: bool,
) -> GroupReport:
    plan = Plan((TAGS,)) if planned else Plan()
    actions = (TAGS_KEY,) if planned else ()
    reason = findings[0].reason if findings else "Reconciled"
    conditions = (Condition("tags", status, reason, message, actions, findings=findings),)
    return GroupReport(ORDERS, outcome, "lz-emea", identity, None, plan, (), conditions, **flags)


def expected_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\n".join(parts)))


# -- which event -----------------------------------------------------------------------------------


def test_the_first_reconcile_is_governed_later_changes_are_drift_repaired_and_compliance_says_nothing() -> None:
    assert outcome_type(report(newly_governed=True)) is OutcomeType.GOVERNED
    assert outcome_type(report()) is OutcomeType.DRIFT_REPAIRED
    assert outcome_type(report(Outcome.COMPLIANT, status=Status.COMPLIANT, planned=False)) is None


def test_a_retirement_a_conflict_and_a_standing_block_have_their_own_types() -> None:
    retag = Finding(FindingKind.CONFLICT, "RetaggedIdentity", "tags claim finance/orders")
    person = Finding(FindingKind.BLOCKED, "CredentialNeeded", "a person must add a credential")

    assert outcome_type(report(Outcome.RETIRED, forgotten=True)) is OutcomeType.RETIRED
    assert outcome_type(report(Outcome.NOT_FOUND, planned=False, forgotten=True)) is OutcomeType.RETIRED
    assert outcome_type(report(status=Status.CONFLICT, findings=(retag,))) is OutcomeType.CONFLICT
    assert outcome_type(report(Outcome.COMPLIANT, status=Status.BLOCKED, planned=False, findings=(person,))) is (
        OutcomeType.BLOCKED
    )
    assert outcome_type(report(status=Status.BLOCKED, findings=(person,))) is OutcomeType.DRIFT_REPAIRED, (
        "a repair with a standing block is the repair; the block is in its data and in the next quiet run"
    )


def test_dry_runs_failures_alone_and_groups_that_are_not_products_say_nothing() -> None:
    unnamed = GroupReport(GroupRef(EMEA, "network-rg"), Outcome.UNCLASSIFIED, "lz-emea", reason="no pattern")

    assert outcome_type(report(Outcome.PLANNED, status=Status.PLANNED, dry_run=True)) is None
    assert outcome_type(report(Outcome.FAILED, status=Status.FAILED)) is None
    assert outcome_type(report(Outcome.NOT_FOUND, planned=False)) is None, "gone meanwhile: the retirement says it"
    assert outcome_type(unnamed) is None, "a landing zone's own infrastructure groups stay silent"
    assert outcome_type(GroupReport(ORDERS, Outcome.UNCLASSIFIED, "lz-emea", named_unknown=True)) is (
        OutcomeType.UNCLASSIFIED
    )


# -- the event -------------------------------------------------------------------------------------


def test_a_drift_repair_is_one_cloud_event_with_identity_conditions_and_action_kinds() -> None:
    [event] = outcome_events([report()], trigger=TRIGGER, now=NOW)

    assert event.to_cloud_event() == {
        "specversion": "1.0",
        "id": expected_id("DataProduct.DriftRepaired", SCOPE.lower(), TRIGGER, TAGS_KEY),
        "source": "/dpgov/lz-emea",
        "type": "DataProduct.DriftRepaired",
        "subject": SCOPE,
        "time": "2026-11-27T14:30:00Z",
        "datacontenttype": "application/json",
        "data": {
            "subscription_id": EMEA,
            "resource_group": "dp-sales-orders-rg",
            "landing_zone": "lz-emea",
            "outcome": "changed",
            "data_product": {"landing_zone": "lz-emea", "domain": "sales", "product": "orders", "environment": "prd"},
            "identity_source": "name",
            "conditions": [
                {
                    "aspect": "tags",
                    "status": "changed",
                    "reason": "Reconciled",
                    "actions": [{"kind": "merge_tags", "key": TAGS_KEY}],
                    "findings": [],
                }
            ],
        },
    }


def test_a_conflict_carries_the_pinned_and_the_claimed_identity() -> None:
    claimed = DataProduct("lz-emea", "finance", "orders", "prd")
    conflicted = Identity(PRODUCT, "tags", recorded=True, conflict=IdentityConflict(PRODUCT, claimed))
    retag = Finding(FindingKind.CONFLICT, "RetaggedIdentity", "tags claim finance/orders (prd)")

    [event] = outcome_events(
        [report(status=Status.CONFLICT, identity=conflicted, findings=(retag,))], trigger=TRIGGER, now=NOW
    )

    assert event.type is OutcomeType.CONFLICT
    assert event.data["conflict"] == {"pinned": PRODUCT.to_dict(), "claimed": claimed.to_dict()}
    assert event.data["conditions"][0]["findings"] == [{"kind": "conflict", "reason": "RetaggedIdentity"}]


def test_an_unclassified_group_is_announced_once_a_day_by_its_id() -> None:
    near_miss = GroupReport(
        GroupRef(EMEA, "dp-hr-payroll-rg"),
        Outcome.UNCLASSIFIED,
        "lz-emea",
        reason="domain 'hr' (from name) is not configured",
        named_unknown=True,
    )
    scope = f"/subscriptions/{EMEA}/resourceGroups/dp-hr-payroll-rg"

    [today] = outcome_events([near_miss], trigger="a", now=NOW)
    [later] = outcome_events([near_miss], trigger="b", now=NOW + datetime.timedelta(hours=9))
    [tomorrow] = outcome_events([near_miss], trigger="c", now=NOW + datetime.timedelta(days=1))

    assert today.id == later.id == expected_id("LandingZone.Unclassified", scope.lower(), "2026-11-27")
    assert tomorrow.id != today.id
    assert (today.type, today.subject, today.source) == (OutcomeType.UNCLASSIFIED, scope, "/dpgov/lz-emea")
    assert today.data == {
        "subscription_id": EMEA,
        "resource_group": "dp-hr-payroll-rg",
        "landing_zone": "lz-emea",
        "outcome": "unclassified",
    }, "not the reason: it can quote the team's tags"


def test_a_standing_block_has_one_id_a_day_whatever_triggered_it() -> None:
    person = Finding(FindingKind.BLOCKED, "CredentialNeeded", "a person must add a credential")
    blocked = report(Outcome.COMPLIANT, status=Status.BLOCKED, planned=False, findings=(person,))

    [first] = outcome_events([blocked], trigger="event-1", now=NOW)
    [second] = outcome_events([blocked], trigger="timer-2", now=NOW + datetime.timedelta(minutes=30))

    assert (
        first.id
        == second.id
        == expected_id("DataProduct.Blocked", SCOPE.lower(), "2026-11-27", "tags:CredentialNeeded")
    )


def test_batches_stay_under_the_size_limit_and_keep_the_order() -> None:
    events = outcome_events([report()] * 10, trigger=TRIGGER, now=NOW)
    one = len(json.dumps(events[0].to_cloud_event(), separators=(",", ":")))

    grouped = list(batches(events, max_bytes=3 * one + 10))

    assert [len(batch) for batch in grouped] == [3, 3, 3, 1]
    assert [event for batch in grouped for event in batch] == list(events)


# -- properties ------------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,20}-rg", fullmatch=True)
TRIGGERS = st.uuids().map(str)


@given(name=NAMES, trigger=TRIGGERS, other=TRIGGERS, newly=st.booleans())
def test_ids_are_deterministic_per_group_type_plan_and_trigger(
    name: str, trigger: str, other: str, newly: bool
) -> None:
    group = GroupRef(EMEA, name)
    plan = Plan((MergeTags(group, {"CostCenter": "CC-1"}),))
    one = GroupReport(
        group, Outcome.CHANGED, "lz-emea", Identity(PRODUCT, "name", True), plan=plan, newly_governed=newly
    )
    same = GroupReport(
        GroupRef(EMEA.upper(), name),
        Outcome.CHANGED,
        "lz-emea",
        Identity(PRODUCT, "name", True),
        plan=plan,
        newly_governed=newly,
    )
    kind = outcome_type(one)
    assert kind is not None

    assert event_id(one, kind, trigger=trigger, day=NOW.date()) == event_id(same, kind, trigger=trigger, day=NOW.date())
    assert (
        event_id(one, kind, trigger=trigger, day=NOW.date()) == event_id(one, kind, trigger=other, day=NOW.date())
    ) is (trigger == other), "what a reconcile did is a new event for every trigger"


PEOPLE = st.emails() | st.from_regex(r"[A-Z][a-z]{2,10} [A-Z][a-z]{2,12}", fullmatch=True)


@given(person=PEOPLE, outcome=st.sampled_from([Outcome.CHANGED, Outcome.COMPLIANT, Outcome.RETIRED]))
def test_no_personal_data_reaches_an_event(person: str, outcome: Outcome) -> None:
    """Owner tag values, condition messages and findings' sentences can name people; events never do."""
    tags = MergeTags(ORDERS, {"Owner": person})
    finding = Finding(FindingKind.BLOCKED, "OwnerUnknown", f"{person} is not in the directory")
    condition = Condition("tags", Status.BLOCKED, "OwnerUnknown", f"ask {person}", (tags.key,), findings=(finding,))
    claimed = Unclassified(f"tags name {person}", named_something=True)
    identity = Identity(PRODUCT, "tags", True, conflict=IdentityConflict(PRODUCT, claimed))
    reports = [
        GroupReport(
            ORDERS,
            outcome,
            "lz-emea",
            identity,
            f"{person} deleted it",
            Plan((tags,)),
            (),
            (condition,),
            newly_governed=outcome is Outcome.CHANGED,
            forgotten=outcome is Outcome.RETIRED,
        ),
        GroupReport(ORDERS, Outcome.COMPLIANT, "lz-emea", identity, None, Plan(), (), (condition,)),
    ]

    events = outcome_events(reports, trigger=TRIGGER, now=NOW)

    assert events, "each report calls for an event"
    text = json.dumps([event.to_cloud_event() for event in events])
    assert person not in text
    assert person.lower() not in text.lower()


# -- the reconciler hands each run to its sink once ---------------------------------------------------


class RecordingSink:
    """An outcome sink that keeps what it is told (a port implementation, like the memory ledger)."""

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[GroupReport, ...], str]] = []

    async def publish(self, reports: Sequence[GroupReport], *, trigger: str) -> None:
        self.calls.append((tuple(reports), trigger))


async def test_each_run_is_handed_to_the_sink_once_with_its_trigger(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    sink = RecordingSink()
    engine = Reconciler(config, inventory, MemoryLedger(), [TagsAspect(config, inventory)], outcomes=sink)

    first = await engine.reconcile_group(ORDERS, request_id=TRIGGER)
    estate = await engine.reconcile_all(request_id="5e1f0000-0000-4000-8000-000000000002")

    assert sink.calls[0] == ((first,), TRIGGER)
    assert sink.calls[1] == (estate.groups, "5e1f0000-0000-4000-8000-000000000002")
    assert [outcome_type(r) for r in sink.calls[0][0]] == [OutcomeType.GOVERNED]
    assert len(sink.calls) == 2


def test_a_run_that_did_something_before_failing_is_announced_and_one_that_did_nothing_is_not() -> None:
    group = GroupRef(EMEA, "dp-sales-orders-rg")
    tags = MergeTags(group, {"CostCenter": "CC-1"})
    other = MergeTags(GroupRef(EMEA, "dp-sales-orders-viz-rg"), {"Owner": "team"})
    identity = Identity(PRODUCT, "name", True)
    done = ActionResult(tags)
    refused = ActionResult(other, error="HTTP 403 AuthorizationFailed", disposition=Disposition.TERMINAL)

    def report(*results: ActionResult, newly: bool) -> GroupReport:
        plan = Plan(tuple(result.action for result in results))
        return GroupReport(group, Outcome.FAILED, "lz-emea", identity, plan=plan, results=results, newly_governed=newly)

    assert outcome_type(report(done, refused, newly=False)) is OutcomeType.DRIFT_REPAIRED
    assert outcome_type(report(done, refused, newly=True)) is OutcomeType.GOVERNED
    assert outcome_type(report(refused, newly=False)) is None
    assert outcome_type(report(refused, newly=True)) is None


def test_a_log_line_names_at_most_twenty_events_and_counts_the_rest() -> None:
    names = [f"DataProduct.Governed {n}" for n in range(18_119)]

    line = listed(names)

    assert line.startswith("DataProduct.Governed 0, DataProduct.Governed 1, ")
    assert line.endswith("DataProduct.Governed 19 and 18099 more")
    assert listed(names[:3]) == "DataProduct.Governed 0, DataProduct.Governed 1, DataProduct.Governed 2"
