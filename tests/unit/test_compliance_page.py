"""The compliance page's server side: the key it hands the page, the policy it is served with, and the
inventory's timestamp. (The page itself is tested in a browser: tests/integration/test_compliance_page.py.)"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re

import azure.functions as func
import pytest

from functions import compliance_page
from shared.report import EstateReport, inventory


def request(params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        method="GET", url="https://app.example/api/inventory", headers=headers or {}, params=params or {}, body=b""
    )


def key_in(text: str) -> str:
    found = re.search(r'<meta name="dpgov-function-key" content="([^"]*)">', text)
    assert found is not None
    return found.group(1)


def test_the_page_gets_the_code_query_key_before_the_header_key() -> None:
    page = compliance_page.render(request({"code": "query-key=="}, {"x-functions-key": "header-key"}))

    assert key_in(page) == "query-key=="


def test_the_page_gets_the_header_key_when_opened_without_code() -> None:
    assert key_in(compliance_page.render(request(headers={"x-functions-key": "header-key"}))) == "header-key"


def test_a_key_is_html_escaped_into_the_page() -> None:
    page = compliance_page.render(request({"code": '"><script>alert(1)</script>'}))

    assert key_in(page) == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count("<script>") == 1


@pytest.mark.parametrize("bad", ["with space", "line\nbreak", "x" * 513, ""])
def test_a_value_no_key_could_have_is_not_handed_to_the_page(bad: str) -> None:
    assert key_in(compliance_page.render(request({"code": bad}))) == ""


def test_the_policy_allows_the_pages_own_script_and_style_and_requests_to_the_app_alone() -> None:
    text = compliance_page.PAGE_PATH.read_text(encoding="utf-8")

    def digest(tag: str) -> str:
        (body,) = re.findall(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    response = compliance_page.response(request({"code": "k"}))

    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == (
        f"default-src 'none'; script-src {digest('script')}; style-src {digest('style')}; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    assert (response.headers["Cache-Control"], response.headers["Referrer-Policy"]) == ("no-store", "no-referrer")


def test_a_page_without_exactly_one_inline_script_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly one inline <script>"):
        compliance_page.build_page(f'<meta content="{compliance_page.KEY_PLACEHOLDER}"><style></style>')


def test_the_inventory_says_when_it_was_made_in_utc() -> None:
    made = datetime.datetime(2026, 11, 27, 15, 4, 5, 678000, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))

    document = inventory(EstateReport((), dry_run=True), generated_at=made)

    assert document["generated_at"] == "2026-11-27T14:04:05.678+00:00"
    assert list(document) == ["generated_at", "summary", "data_products"]
