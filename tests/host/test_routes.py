"""Route templates match request paths the way the Functions host (ASP.NET routing) does."""

from __future__ import annotations

import pytest

from functions_host.routes import RouteTemplate, RouteTemplateError, best_match

GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_plain_parameter_captures_one_segment() -> None:
    template = RouteTemplate.parse("dataproducts/{subscriptionId}/{resourceGroup}/sync")
    assert template.match("/dataproducts/sub-1/rg-a/sync") == {"subscriptionId": "sub-1", "resourceGroup": "rg-a"}
    assert template.match("/dataproducts/sub-1/sync") is None
    assert template.match("/dataproducts/sub-1/rg-a/b/sync") is None


def test_literals_match_case_insensitively_and_a_trailing_slash_is_tolerated() -> None:
    template = RouteTemplate.parse("health")
    assert template.match("/HEALTH") == {}
    assert template.match("/health/") == {}
    assert template.match("/healthz") is None


def test_values_are_percent_decoded() -> None:
    assert RouteTemplate.parse("groups/{name}").match("/groups/my%20group") == {"name": "my group"}


def test_optional_parameter_may_be_omitted_and_is_then_absent() -> None:
    template = RouteTemplate.parse("items/{id}/{rest?}")
    assert template.match("/items/1") == {"id": "1"}
    assert template.match("/items/1/more") == {"id": "1", "rest": "more"}


def test_default_value_fills_an_omitted_parameter() -> None:
    assert RouteTemplate.parse("page/{n=1}").match("/page") == {"n": "1"}
    assert RouteTemplate.parse("page/{n=1}").match("/page/7") == {"n": "7"}


def test_catch_all_takes_the_rest_of_the_path() -> None:
    template = RouteTemplate.parse("files/{*path}")
    assert template.match("/files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert template.match("/files") == {}


def test_complex_segment_splits_like_aspnet_right_to_left() -> None:
    assert RouteTemplate.parse("{name}.{ext}").match("/a.b.c") == {"name": "a.b", "ext": "c"}


def test_empty_template_matches_the_prefix_root() -> None:
    assert RouteTemplate.parse("").match("/") == {}
    assert RouteTemplate.parse("").match("/x") is None


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        ("guid", [GUID, GUID.replace("-", ""), "{" + GUID + "}", "(" + GUID + ")", GUID.upper()], ["nope", GUID[:-1]]),
        ("int", ["0", "-5", "2147483647"], ["2147483648", "1.5", "x"]),
        ("long", ["2147483648"], ["9223372036854775808", "x"]),
        ("alpha", ["abc", "ABC"], ["abc1", "a-b"]),
        ("bool", ["true", "False"], ["yes", "1"]),
        ("double", ["1.5", "-2"], ["nan", "x"]),
        ("min(3)", ["3", "10"], ["2", "x"]),
        ("max(3)", ["3", "-1"], ["4"]),
        ("range(1,3)", ["1", "3"], ["0", "4"]),
        ("minlength(2)", ["ab"], ["a"]),
        ("maxlength(2)", ["ab"], ["abc"]),
        ("length(2)", ["ab"], ["a", "abc"]),
        ("length(1,2)", ["a", "ab"], ["abc"]),
        ("regex(^rg-[a-z]+$)", ["rg-abc", "RG-ABC"], ["rg-1", "xrg-abc"]),
        ("datetime", ["2024-01-02", "2024-01-02T03:04:05"], ["yesterday"]),
    ],
)
def test_constraints_accept_and_reject(constraint: str, good: list[str], bad: list[str]) -> None:
    template = RouteTemplate.parse(f"x/{{value:{constraint}}}")
    for value in good:
        assert template.match(f"/x/{value}") == {"value": value}, value
    for value in bad:
        assert template.match(f"/x/{value}") is None, value


def test_constraints_chain() -> None:
    template = RouteTemplate.parse("a/{id:int:min(1)}")
    assert template.match("/a/0") is None
    assert template.match("/a/5") == {"id": "5"}


def test_regex_constraint_may_contain_escaped_braces_slashes_and_parentheses() -> None:
    assert RouteTemplate.parse(r"x/{id:regex(^\d{{3}}$)}").match("/x/123") == {"id": "123"}
    assert RouteTemplate.parse(r"x/{id:regex(^\d{{3}}$)}").match("/x/1234") is None
    assert RouteTemplate.parse("x/{id:regex(^(a|b)+$)}").match("/x/abba") == {"id": "abba"}


def test_unknown_constraint_is_unconstrained_and_reported() -> None:
    template = RouteTemplate.parse("x/{value:shiny}")
    assert template.match("/x/anything") == {"value": "anything"}
    assert template.unknown_constraints == ("shiny",)


@pytest.mark.parametrize(
    "template",
    ["a/{", "a/}", "a/{}", "a/{x}/{x}", "a/{*rest}/b", "a//b", "a/{id:regex(^x$}", "a/{id:min(x)}", "a/{id?x}"],
)
def test_invalid_templates_are_refused(template: str) -> None:
    with pytest.raises(RouteTemplateError):
        RouteTemplate.parse(template)


def test_most_specific_route_wins_whatever_the_registration_order() -> None:
    routes = [
        (RouteTemplate.parse("things/{*rest}"), "catch-all"),
        (RouteTemplate.parse("things/{name}"), "plain"),
        (RouteTemplate.parse("things/{id:int}"), "constrained"),
        (RouteTemplate.parse("things/all"), "literal"),
    ]
    assert best_match(routes, "/things/all") == ("literal", {})
    assert best_match(routes, "/things/42") == ("constrained", {"id": "42"})
    assert best_match(routes, "/things/x") == ("plain", {"name": "x"})
    assert best_match(routes, "/things/x/y") == ("catch-all", {"rest": "x/y"})
    assert best_match(routes, "/other") is None


def test_ties_go_to_the_first_registered_route() -> None:
    routes = [(RouteTemplate.parse("a/{x}"), "first"), (RouteTemplate.parse("a/{y}"), "second")]
    assert best_match(routes, "/a/1") == ("first", {"x": "1"})
