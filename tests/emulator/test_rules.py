"""Pure rules of the emulator, checked without a server: paths, tags, filters, the critical path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.arm.errors import ArmError
from emulator.arm.listing import parse_filter
from emulator.arm.management_groups import ManagementGroups
from emulator.arm.paths import ArmTarget, ResourceRef, Scope, parse_arm_path
from emulator.arm.providers.authorization.filters import parse_role_filter
from emulator.arm.providers.authorization.policy_parameters import type_matches
from emulator.arm.scopes import ancestry, scope_of_id
from emulator.arm.tags import apply_tag_patch
from emulator.control.models import LoggedRequest
from emulator.requestlog import longest_sequential_chain

S = "/subscriptions/s1"


SUB = Scope("s1")
GROUP = Scope("s1", "rg")
RES = "Microsoft.Resources"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (S, ArmTarget(Scope(), RES, ("subscriptions",), ("s1",))),
        (f"{S}/resourcegroups", ArmTarget(SUB, RES, ("resourceGroups",), ())),
        (f"{S}/resourceGroups/rg", ArmTarget(SUB, RES, ("resourceGroups",), ("rg",))),
        (f"{S}/RESOURCEGROUPS/rg/resources", ArmTarget(GROUP, RES, ("resources",), ())),
        (f"{S}/resources", ArmTarget(SUB, RES, ("resources",), ())),
        (f"{S}/operationresults/abc", ArmTarget(SUB, RES, ("operationResults",), ("abc",))),
        (
            f"{S}/resourceGroups/rg/providers/Microsoft.Resources/tags/default",
            ArmTarget(GROUP, RES, ("tags",), ("default",)),
        ),
        (
            f"{S}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d",
            ArmTarget(GROUP, "Microsoft.Sql", ("servers", "databases"), ("s", "d")),
        ),
        (
            f"{S}/resourceGroups/rg/providers/Microsoft.Web/sites/a/providers/microsoft.resources/TAGS/default",
            ArmTarget(
                Scope("s1", "rg", ResourceRef("Microsoft.Web", ("sites",), ("a",))),
                "microsoft.resources",
                ("TAGS",),
                ("default",),
            ),
        ),
        (f"{S}/resourceGroups/rg/providers/Microsoft.Web/sites", ArmTarget(GROUP, "Microsoft.Web", ("sites",), ())),
        (f"{S}/providers/Microsoft.Foo/bars", ArmTarget(SUB, "Microsoft.Foo", ("bars",), ())),
        (
            "/providers/Microsoft.Authorization/policyDefinitions/p",
            ArmTarget(Scope(), "Microsoft.Authorization", ("policyDefinitions",), ("p",)),
        ),
        (
            "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policySetDefinitions/i",
            ArmTarget(Scope(management_group="mg1"), "Microsoft.Authorization", ("policySetDefinitions",), ("i",)),
        ),
        (
            "/providers/microsoft.management/MANAGEMENTGROUPS/mg1/providers/Microsoft.Authorization/policyDefinitions",
            ArmTarget(Scope(management_group="mg1"), "Microsoft.Authorization", ("policyDefinitions",), ()),
        ),
        (
            f"{S}/resourceGroups/rg/providers/Microsoft.Sql/servers/s/databases/d/providers/Microsoft.Authorization/roleAssignments/r",
            ArmTarget(
                Scope("s1", "rg", ResourceRef("Microsoft.Sql", ("servers", "databases"), ("s", "d"))),
                "Microsoft.Authorization",
                ("roleAssignments",),
                ("r",),
            ),
        ),
    ],
)
def test_paths_parse_case_insensitively(path: str, expected: ArmTarget) -> None:
    assert parse_arm_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nothing/here",
        "/providers/Microsoft.Resources",
        f"{S}/resourceGroups/rg/providers",
        f"{S}/whatever",
        "/providers/Microsoft.Foo/bars/b/providers/Microsoft.Authorization/policyDefinitions/p",
    ],
)
def test_paths_that_are_no_arm_path_parse_to_none(path: str) -> None:
    assert parse_arm_path(path) is None


def test_scope_ancestry_runs_from_the_tenant_through_management_groups_down_to_nested_resources() -> None:
    groups = ManagementGroups()
    groups.put("root-mg", display_name=None, parent=None, subscriptions=())
    groups.put("mg1", display_name=None, parent="root-mg", subscriptions=["S1"])
    database = Scope("s1", "RG", ResourceRef("Microsoft.Sql", ("servers", "databases"), ("s", "d")))

    assert ancestry(database, groups) == (
        "/",
        "/providers/microsoft.management/managementgroups/root-mg",
        "/providers/microsoft.management/managementgroups/mg1",
        "/subscriptions/s1",
        "/subscriptions/s1/resourcegroups/rg",
        "/subscriptions/s1/resourcegroups/rg/providers/microsoft.sql/servers/s",
        "/subscriptions/s1/resourcegroups/rg/providers/microsoft.sql/servers/s/databases/d",
    )
    assert ancestry(Scope(management_group="MG1"), groups)[-1] == "/providers/microsoft.management/managementgroups/mg1"


def test_a_management_group_cannot_be_its_own_ancestor() -> None:
    groups = ManagementGroups()
    groups.put("a", display_name=None, parent=None, subscriptions=())
    groups.put("b", display_name=None, parent="a", subscriptions=())

    with pytest.raises(ValueError, match="cannot contain itself"):
        groups.put("a", display_name=None, parent="b", subscriptions=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/", Scope()),
        (f"{S}", Scope("s1")),
        (f"{S}/resourcegroups/rg", Scope("s1", "rg")),
        ("/providers/Microsoft.Management/managementGroups/mg", Scope(management_group="mg")),
        (
            f"{S}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
            Scope("s1", "rg", ResourceRef("Microsoft.Storage", ("storageAccounts",), ("a",))),
        ),
        (f"{S}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts", None),
        ("not a scope", None),
    ],
)
def test_scope_ids_parse_to_scopes(text: str, expected: Scope | None) -> None:
    assert scope_of_id(text) == expected


@pytest.mark.parametrize(
    ("text", "at_scope", "principal", "assigned"),
    [
        ("atScope()", True, None, None),
        ("atScope() and assignedTo('a')", True, None, "a"),
        ("principalId eq 'p'", False, "p", None),
        ("ATSCOPE() AND principalid eq 'p'", True, "p", None),
    ],
)
def test_role_assignment_filters_parse(text: str, at_scope: bool, principal: str | None, assigned: str | None) -> None:
    parsed = parse_role_filter(text)

    assert (parsed.at_scope, parsed.principal_id, parsed.assigned_to) == (at_scope, principal, assigned)


@pytest.mark.parametrize("text", ["atExactScope()", "roleName eq 'x'", "atScope() or principalId eq 'p'"])
def test_role_assignment_filters_refuse_what_arm_does_not_support(text: str) -> None:
    with pytest.raises(ArmError):
        parse_role_filter(text)


@pytest.mark.parametrize(
    ("declared_type", "value", "fits"),
    [
        ("String", "x", True),
        ("string", 1, False),
        ("Array", ["a"], True),
        ("Integer", True, False),
        ("Float", 1, True),
        ("Boolean", False, True),
        ("Object", {}, True),
        ("DateTime", "2026-01-01T00:00:00Z", True),
        ("DateTime", "tomorrow", False),
        ("Array", "[parameters('list')]", True),
    ],
)
def test_policy_parameter_types(declared_type: str, value: object, fits: bool) -> None:
    assert type_matches(declared_type, value) is fits


def test_tag_merge_keeps_the_existing_casing() -> None:
    assert apply_tag_patch({"Owner": "a", "x": "1"}, "Merge", {"OWNER": "b"}) == {"Owner": "b", "x": "1"}


def test_tag_delete_honours_values_when_given() -> None:
    current = {"Owner": "a", "x": "1"}

    assert apply_tag_patch(current, "Delete", {"owner": "z"}) == current
    assert apply_tag_patch(current, "Delete", {"owner": "a", "X": ""}) == {}


def test_filters_parse_and_refuse_unknown_fields() -> None:
    clauses = parse_filter("tagName eq 'it''s' AND tagValue eq 'v'", ("tagName", "tagValue"))

    assert [(c.field, c.value) for c in clauses] == [("tagname", "it's"), ("tagvalue", "v")]
    with pytest.raises(ArmError):
        parse_filter("startswith(name, 'x')", ("tagName",))


def _request(start: float, end: float) -> LoggedRequest:
    return LoggedRequest("GET", "/", {}, 200, "read", "op", start, end)


def test_critical_path_counts_sequential_requests_only() -> None:
    sequential = [_request(0, 1), _request(1, 2), _request(2, 3)]
    concurrent = [_request(3, 4), _request(3.1, 4.2), _request(3.2, 4.1)]

    assert longest_sequential_chain(sequential + concurrent) == 4
    assert longest_sequential_chain([]) == 0


def _brute_force_chain(requests: list[LoggedRequest]) -> int:
    ordered = sorted(requests, key=lambda r: (r.start, r.end))
    best = [1] * len(ordered)
    for i, current in enumerate(ordered):
        for j in range(i):
            if ordered[j].end <= current.start:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 8)), max_size=25))
def test_critical_path_matches_brute_force(spans: list[tuple[int, int]]) -> None:
    requests = [_request(start, start + length) for start, length in spans]

    assert longest_sequential_chain(requests) == _brute_force_chain(requests)
