"""The workbook reads the app's own log lines: the formats it parses are the ones the code writes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.bicep import ROOT, load_json, resource

# (file, literal in the code) for every log line the workbook's queries parse.
LOG_FORMATS = [
    ("functions/events.py", '"event %s (%s) acknowledged: %s"'),
    ("functions/events.py", '"event %s: reconciling %s (%s)"'),
    ("functions/events.py", '"event %s: %s %s"'),
    ("functions/events.py", '"malformed event %s ignored: %s"'),
    ("functions/queue.py", '"reconciled %d groups in %.0f ms: %s"'),
    ("functions/queue.py", '"  %s: %s"'),
    ("shared/report.py", 'f"{c.aspect}={c.status.value}"'),
    ("shared/report.py", 'f"[{statuses}]"'),
]


def queries() -> dict[str, str]:
    items: list[dict[str, Any]] = load_json("workbook.json")["items"]
    return {item["name"]: item["content"]["query"] for item in items if item["type"] == 3}


def test_workbook_shows_products_conditions_events_and_failures() -> None:
    assert list(queries()) == [
        "products-latest",
        "products-trend",
        "conditions-latest",
        "conditions-events",
        "events-trend",
        "events-ignored",
        "failures-by-function",
        "failures-recent",
    ]


@pytest.mark.parametrize(("path", "literal"), LOG_FORMATS)
def test_the_code_still_writes_the_log_lines_the_workbook_parses(path: str, literal: str) -> None:
    assert literal in (ROOT / path).read_text(encoding="utf-8")


def test_queries_use_the_application_insights_tables() -> None:
    for name, query in queries().items():
        assert query.split("\n")[0].split()[0] in {"traces", "requests", "union", "let"}, name


def test_workbook_is_bound_to_the_apps_application_insights() -> None:
    workbook = resource("app/workbook.bicep", "workbook")["properties"]
    replace = workbook["serializedData"]["function"]

    assert load_json("workbook.json")["fallbackResourceIds"] == ["__APPLICATION_INSIGHTS_ID__"]
    assert replace["type"] == "replace"
    assert replace["parameters"]["old_string"] == "__APPLICATION_INSIGHTS_ID__"
    assert replace["parameters"]["new_string"] == "applicationInsightsId"
    assert workbook["sourceId"] == "applicationInsightsId"
