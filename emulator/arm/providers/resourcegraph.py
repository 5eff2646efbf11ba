"""``Microsoft.ResourceGraph``: the app's own Resource Graph queries, answered from the emulator's state.

``POST /providers/Microsoft.ResourceGraph/resources`` takes ``{"subscriptions", "query", "options"}``
and answers ``{"totalRecords", "count", "resultTruncated", "$skipToken"?, "data", "facets"}`` with
``data`` as an object array (the only ``resultFormat`` served). Three tables are served, every row
with Resource Graph's columns (``id``, ``name``, ``type`` lower-cased as Resource Graph returns it,
``tenantId``, ``kind``, ``location``, ``resourceGroup``, ``subscriptionId``, ``managedBy``, ``sku``,
``plan``, ``properties``, ``tags``, ``identity``, ``zones``, ``extendedLocation``):

- ``resourcecontainers``: subscriptions and resource groups;
- ``authorizationresources``: role assignments (``microsoft.authorization/roleassignments``) at
  subscriptions, resource groups and resources; ``id``, ``name`` and ``properties`` are what ARM's GET
  of the assignment answers, ``resourceGroup`` is the scope's group lower-cased (``''`` at a
  subscription). Role definitions are not served;
- ``policyresources``: policy assignments (``microsoft.authorization/policyassignments``), with
  ``id``, ``name``, ``location`` (``''`` without one), ``identity`` (``null`` without one) and
  ``properties`` as ARM's GET answers them and ``resourceGroup`` as above. Assignments at management
  groups belong to no subscription, so a query scoped to subscriptions never returns them (the
  emulator's ARM does not take them anyway); policy definitions, initiatives, exemptions and
  compliance states are not served.

Rows come in a fixed order when the query has no ``order by`` (subscriptions in the order the store
holds them, each followed by its groups; assignments by id), so ``$skipToken`` pages neither skip nor
repeat a row while the state stands still. A small subset of KQL is served, which is all the app sends:

- ``where COLUMN =~ 'text'`` / ``== 'text'`` / ``!= 'text'`` / ``!~ 'text'``, and ``where COLUMN in
  ('a', 'b')`` / ``in~ (…)``, conditions joined with ``and``;
- ``project COLUMN, …``;
- ``order by COLUMN [asc|desc], …`` (``sort by`` too).

Anything else (another table, operator or function, an unknown column) is refused with 400 and
Resource Graph's error shape (``BadRequest`` with ``InvalidQuery`` in ``details``; the inner codes
after that are the emulator's own). Paging: ``options.$top`` (at most 1,000; 100 by default),
``options.$skip`` and ``options.$skipToken``; a response that stops short of ``totalRecords``
carries ``$skipToken`` when the rows have an ``id`` to page on, and ``resultTruncated: "true"``
without one otherwise, as Resource Graph does. A query is evaluated for its first page; its later
pages are cut from that result (the last ``KEPT_RESULTS`` are kept; a token of an older one is
answered by evaluating the query again), so paging through N rows costs O(N), not O(N²). Every
answer carries the per-user quota headers ``x-ms-user-quota-remaining`` (15 requests per 5-second
window) and
``x-ms-user-quota-resets-after`` (``hh:mm:ss``); the quota is enforced (429 ``RateLimiting``) only
while the emulator's throttling is on.

Lag: Resource Graph is fed from ARM's change notifications and lags it. With the
``resourceGraphLag`` setting at 0 (the default) queries see the live state; above 0 they are
answered from a snapshot of every table that is retaken only when it is that many seconds old
(setting the lag takes one at once), so a group or assignment created after the snapshot is not
seen, and a deleted one is still seen, until then. Which rows a caller may read is not checked:
every named subscription the emulator holds is answered.
"""

from __future__ import annotations

import base64
import binascii
import collections
import copy
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..calls import ArmCall, ArmResponse, method_not_allowed
from ..errors import ArmError
from ..paths import ArmTarget
from ..registry import ResourceProvider, ResourceType

if TYPE_CHECKING:
    from ...state import EmulatorState
    from ..access import AccessState
    from ..access.records import PolicyAssignment, RoleAssignment
    from ..scopes import ResolvedScope
    from ..store import Store

__all__ = ["API_VERSIONS", "PROVIDER", "GraphIndex", "QueryError", "parse_query", "run_query"]

NAMESPACE = "Microsoft.ResourceGraph"
# azure-mgmt-resourcegraph 8.0.1 sends 2021-03-01; 2022-10-01 is the newest stable version of the API.
API_VERSIONS = ("2021-03-01", "2022-10-01")
CONTAINERS = "resourcecontainers"
AUTHORIZATION = "authorizationresources"
POLICY = "policyresources"
TABLES = (CONTAINERS, AUTHORIZATION, POLICY)
COLUMNS = (
    "id",
    "name",
    "type",
    "tenantId",
    "kind",
    "location",
    "resourceGroup",
    "subscriptionId",
    "managedBy",
    "sku",
    "plan",
    "properties",
    "tags",
    "identity",
    "zones",
    "extendedLocation",
)
DEFAULT_TOP = 100
MAX_TOP = 1000
KEPT_RESULTS = 16  # query results kept for their later pages (a run pages through three at once)
QUOTA = 15  # requests per user per window, Resource Graph's documented default
QUOTA_WINDOW_SECONDS = 5.0


class QueryError(ArmError):
    """A request Resource Graph refuses: 400 ``BadRequest`` with the reason in ``details``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(400, "BadRequest", message)
        self.detail_code = code
        self.detail_message = message

    def body(self) -> dict[str, Any]:
        support = (
            "Please provide below info when asking for support: timestamp = "
            f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}, correlationId = {uuid.uuid4()}."
        )
        return {
            "error": {
                "code": "BadRequest",
                "message": support,
                "details": [
                    {
                        "code": "InvalidQuery",
                        "message": "Query is invalid. Please refer to the documentation for the Azure Resource "
                        "Graph service and fix the error before retrying.",
                    },
                    {"code": self.detail_code, "message": self.detail_message},
                ],
            }
        }


# -- the query subset --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    column: str
    operator: str  # =~ == !~ != in in~
    values: tuple[str, ...]

    def matches(self, row: Mapping[str, Any]) -> bool:
        value = row.get(self.column)
        text = value if isinstance(value, str) else ""
        if self.operator in ("=~", "!~", "in~"):
            found = text.casefold() in {v.casefold() for v in self.values}
        else:
            found = text in self.values
        return not found if self.operator in ("!=", "!~") else found


@dataclass(frozen=True)
class Query:
    table: str = CONTAINERS
    conditions: tuple[Condition, ...] = ()
    projection: tuple[str, ...] = COLUMNS
    order: tuple[tuple[str, bool], ...] = field(default=())  # (column, descending)


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*'|\"[^\"]*\")|(?P<op>=~|==|!~|!=|in~|[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError("ParserFailure", f"Unexpected character at position {position}: {text[position:]!r}")
        tokens.append(match.group("string") or match.group("op") or match.group("word"))
        position = match.end()
    return tokens


def _split_pipes(query: str) -> list[str]:
    """The query's operators, split on ``|`` outside string literals."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for char in query:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "|":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote:
        raise QueryError("ParserFailure", "Unterminated string literal")
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _column(name: str) -> str:
    for column in COLUMNS:
        if column == name:
            return column
    raise _unresolved(name)


def _unresolved(name: str) -> QueryError:
    return QueryError("FailedToResolveScalarExpression", f"Failed to resolve scalar expression named '{name}'")


def _string(token: str) -> str:
    if len(token) < 2 or token[0] not in "'\"" or token[-1] != token[0]:
        raise QueryError("ParserFailure", f"Expected a string literal, got '{token}'")
    return token[1:-1]


def _where(tokens: list[str]) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    index = 0
    while True:
        if index + 2 >= len(tokens):
            raise QueryError("ParserFailure", "Incomplete 'where' condition")
        column, operator = _column(tokens[index]), tokens[index + 1]
        index += 2
        if operator in ("=~", "==", "!~", "!="):
            conditions.append(Condition(column, operator, (_string(tokens[index]),)))
            index += 1
        elif operator in ("in", "in~"):
            if tokens[index] != "(":
                raise QueryError("ParserFailure", f"Expected '(' after '{operator}'")
            values: list[str] = []
            index += 1
            while index < len(tokens) and tokens[index] != ")":
                values.append(_string(tokens[index]))
                index += 1
                if index < len(tokens) and tokens[index] == ",":
                    index += 1
            if index >= len(tokens) or not values:
                raise QueryError("ParserFailure", f"Expected a list of string literals after '{operator}'")
            conditions.append(Condition(column, operator, tuple(values)))
            index += 1
        else:
            raise QueryError("UnsupportedOperator", f"The operator '{operator}' is not supported by the emulator")
        if index == len(tokens):
            return tuple(conditions)
        if tokens[index] != "and":
            raise QueryError("UnsupportedOperator", f"Expected 'and' or the end of 'where', got '{tokens[index]}'")
        index += 1


def _columns(tokens: list[str], what: str) -> list[list[str]]:
    """Comma-separated groups of tokens (``project a, b`` or ``order by a desc, b``)."""
    groups: list[list[str]] = [[]]
    for token in tokens:
        if token == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    if any(not group for group in groups):
        raise QueryError("ParserFailure", f"Expected a column list after '{what}'")
    return groups


def parse_query(text: str) -> Query:
    """The query, if it is inside the subset the emulator serves; ``QueryError`` otherwise."""
    stages = _split_pipes(text)
    table = stages[0].casefold()
    if table not in TABLES:
        served = ", ".join(f"'{name}'" for name in TABLES)
        raise QueryError("UnsupportedTable", f"The emulator serves only the {served} tables, not '{stages[0]}'")
    query = Query(table)
    for stage in stages[1:]:
        if not stage:
            raise QueryError("ParserFailure", "Empty query operator after '|'")
        if stage.split()[0] not in ("where", "project", "order", "sort"):
            raise QueryError(
                "UnsupportedOperator", f"The query operator '{stage.split()[0]}' is not served by the emulator"
            )
        tokens = _tokens(stage)
        head = tokens[0]
        if head == "where":
            conditions = _where(tokens[1:])
            unknown = [c.column for c in conditions if c.column not in query.projection]
            if unknown:
                raise _unresolved(unknown[0])
            query = Query(query.table, query.conditions + conditions, query.projection, query.order)
        elif head == "project":
            groups = _columns(tokens[1:], "project")
            if any(len(group) != 1 for group in groups):
                raise QueryError("UnsupportedOperator", "'project' takes plain column names in the emulator")
            projection = tuple(_column(group[0]) for group in groups)
            unknown = [column for column in projection if column not in query.projection]
            if unknown:
                raise _unresolved(unknown[0])
            query = Query(query.table, query.conditions, projection, query.order)
        elif head in ("order", "sort") and len(tokens) > 1 and tokens[1] == "by":
            order: list[tuple[str, bool]] = []
            for group in _columns(tokens[2:], f"{head} by"):
                if len(group) > 2 or (len(group) == 2 and group[1] not in ("asc", "desc")):
                    raise QueryError("ParserFailure", f"Expected 'asc' or 'desc' after '{group[0]}'")
                column = _column(group[0])
                if column not in query.projection:
                    raise _unresolved(column)
                order.append((column, len(group) == 1 or group[1] == "desc"))  # KQL sorts descending by default
            query = Query(query.table, query.conditions, query.projection, tuple(order))
        else:
            raise QueryError("UnsupportedOperator", f"The query operator '{head}' is not supported by the emulator")
    return query


def run_query(query: Query, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows that match, projected and ordered (stably, as listed, when no order is given)."""
    kept = [row for row in rows if all(condition.matches(row) for condition in query.conditions)]
    matched = [{column: row.get(column) for column in query.projection} for row in kept]
    for column, descending in reversed(query.order):
        matched.sort(key=lambda row: str(row.get(column) or "").casefold(), reverse=descending)
    return matched


# -- rows, lag and quota -----------------------------------------------------------------------------


Row = dict[str, Any]
Tables = dict[str, list[Row]]


def _container_rows(store: Store) -> list[Row]:
    """``resourcecontainers``: each subscription, then its groups, in the order the store holds them."""
    rows: list[Row] = []
    for subscription in store:
        sub_id = subscription.subscription_id
        base = {"tenantId": subscription.tenant_id, "kind": "", "sku": None, "plan": None, "identity": None}
        base |= {"zones": None, "extendedLocation": None}
        rows.append(
            {
                **base,
                "id": f"/subscriptions/{sub_id}",
                "name": sub_id,
                "type": "microsoft.resources/subscriptions",
                "location": "",
                "resourceGroup": "",
                "subscriptionId": sub_id,
                "managedBy": "",
                "properties": {"state": "Enabled"},
                "tags": {},
            }
        )
        for group in subscription.groups.values():
            rows.append(
                {
                    **base,
                    "id": group.id,
                    "name": group.name,
                    "type": "microsoft.resources/subscriptions/resourcegroups",
                    "location": group.location,
                    "resourceGroup": group.name,
                    "subscriptionId": sub_id,
                    "managedBy": group.managed_by or "",
                    "properties": {"provisioningState": group.provisioning_state},
                    "tags": copy.deepcopy(group.tags),
                }
            )
    return rows


def _extension_row(body: Mapping[str, Any], scope: ResolvedScope, tenant_id: str) -> Row:
    """A role or policy assignment's row from the body ARM's GET answers, so the fields it has agree."""
    return {
        "id": body["id"],
        "name": body["name"],
        "type": str(body["type"]).lower(),
        "tenantId": tenant_id,
        "kind": "",
        "location": body.get("location") or "",
        "resourceGroup": (scope.scope.group or "").lower(),
        "subscriptionId": scope.scope.subscription_id,
        "managedBy": "",
        "sku": None,
        "plan": None,
        "properties": copy.deepcopy(body["properties"]),
        "tags": None,
        "identity": copy.deepcopy(body.get("identity")),
        "zones": None,
        "extendedLocation": None,
    }


def _assignment_rows(
    records: Iterable[RoleAssignment | PolicyAssignment], store: Store, access: AccessState
) -> list[Row]:
    """The rows of the records whose scope is in a subscription and still exists (ARM deletes an
    extension resource with its scope), by id."""
    rows: list[Row] = []
    for record in records:
        subscription_id = record.scope.scope.subscription_id
        if subscription_id is not None and record.scope.anchor.alive(store, access.management_groups):
            tenant_id = store.subscription(subscription_id).tenant_id
            rows.append(_extension_row(record.to_json(), record.scope, tenant_id))
    return sorted(rows, key=lambda row: str(row["id"]).casefold())


def _role_assignment_rows(store: Store, access: AccessState) -> list[Row]:
    """``authorizationresources``: the role assignments."""
    return _assignment_rows(access.role_assignments.values(), store, access)


def _policy_assignment_rows(store: Store, access: AccessState) -> list[Row]:
    """``policyresources``: the policy assignments."""
    return _assignment_rows(access.policy_assignments.values(), store, access)


def _table(table: str, store: Store, access: AccessState) -> list[Row]:
    if table == AUTHORIZATION:
        return _role_assignment_rows(store, access)
    if table == POLICY:
        return _policy_assignment_rows(store, access)
    return _container_rows(store)


class GraphIndex:
    """What Resource Graph has indexed (live, or a lagging snapshot of every table), and each caller's
    quota window.

    The assignment tables come from the state's :class:`AccessState`, which a snapshot is given or,
    failing that, remembers from the last query; a snapshot taken before it knows one (the lag set
    before any query, by a caller that passes only the store) fills those tables in at the next query.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._snapshot: Tables | None = None
        self._taken = 0.0
        self._windows: dict[str, tuple[float, int]] = {}
        self._results: collections.OrderedDict[str, list[Row]] = collections.OrderedDict()

    def keep(self, matched: list[Row]) -> str:
        """Keep a query's result for its later pages; the id its skip tokens carry."""
        result = uuid.uuid4().hex
        self._results[result] = matched
        while len(self._results) > KEPT_RESULTS:
            self._results.popitem(last=False)
        return result

    def kept(self, result: str | None) -> list[Row] | None:
        return self._results.get(result) if result is not None else None

    def take_snapshot(self, store: Store, access: AccessState) -> None:
        self._snapshot = {table: _table(table, store, access) for table in (CONTAINERS, AUTHORIZATION, POLICY)}
        self._taken = self._clock()

    def rows(self, table: str, store: Store, access: AccessState, lag_seconds: float) -> list[Row]:
        """The table as Resource Graph answers it now: live with no lag, else from the snapshot."""
        if lag_seconds <= 0:
            return _table(table, store, access)
        if self._snapshot is None or self._clock() - self._taken >= lag_seconds:
            self.take_snapshot(store, access)
        assert self._snapshot is not None
        return self._snapshot[table]

    def spend(self, caller: str, enforced: bool) -> tuple[int, float, bool]:
        """One request of ``caller``'s quota: (remaining, seconds until the window resets, allowed)."""
        now = self._clock()
        started, used = self._windows.get(caller, (now, 0))
        if now - started >= QUOTA_WINDOW_SECONDS:
            started, used = now, 0
        resets = QUOTA_WINDOW_SECONDS - (now - started)
        if enforced and used >= QUOTA:
            return 0, resets, False
        used += 1
        self._windows[caller] = (started, used)
        return max(0, QUOTA - used), resets, True


def _hms(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# -- the request -------------------------------------------------------------------------------------


def _int_option(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name, default)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise QueryError("InvalidRequestOptions", f"The option '{name}' must be a non-negative integer")
    return value


def _continuation(token: Any) -> tuple[int, str | None]:
    """A skip token's offset and the kept result it continues (none for a first page)."""
    if token is None:
        return 0, None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode("ascii")))
        offset, result = decoded["offset"], decoded.get("result")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise QueryError("InvalidSkipToken", "The skip token is invalid") from None
    if not isinstance(offset, int) or offset < 0 or not isinstance(result, str | None):
        raise QueryError("InvalidSkipToken", "The skip token is invalid")
    return offset, result


def _skip_token(offset: int, result: str) -> str:
    token = json.dumps({"offset": offset, "result": result})
    return base64.urlsafe_b64encode(token.encode("ascii")).decode("ascii")


def _subscriptions(body: Mapping[str, Any]) -> Sequence[str] | None:
    given = body.get("subscriptions")
    if given is None:
        return None
    if not isinstance(given, list) or not all(isinstance(s, str) for s in given):
        raise QueryError("InvalidRequestContent", "'subscriptions' must be a list of subscription ids")
    return given


def _handle(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    del target
    if call.method != "POST":
        raise method_not_allowed(call, "POST")
    remaining, resets, allowed = state.resource_graph.spend(call.context.caller.object_id, state.throttle.enabled)
    quota = {"x-ms-user-quota-remaining": str(remaining), "x-ms-user-quota-resets-after": _hms(resets)}
    if not allowed:
        raise ArmError(
            429,
            "RateLimiting",
            "Client application has been throttled and should not attempt to repeat the request until an amount "
            "of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
            {**quota, "Retry-After": str(max(1, int(resets + 0.999)))},
        )
    try:
        body = call.json_body()
    except ArmError as error:
        raise QueryError("InvalidRequestContent", error.message) from None
    text = body.get("query")
    if not isinstance(text, str) or not text.strip():
        raise QueryError("InvalidRequestContent", "'query' is required")
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise QueryError("InvalidRequestContent", "'options' must be an object")
    result_format = options.get("resultFormat", "objectArray")
    if result_format != "objectArray":
        raise QueryError("UnsupportedResultFormat", f"resultFormat {result_format!r}: the emulator serves objectArray")
    top = _int_option(options, "$top", DEFAULT_TOP)
    if top < 1 or top > MAX_TOP:
        raise QueryError("InvalidRequestOptions", f"The option '$top' must be between 1 and {MAX_TOP}")
    skip = _int_option(options, "$skip", 0)
    query = parse_query(text)
    subscriptions = _subscriptions(body)
    offset, continued = _continuation(options.get("$skipToken"))
    graph = state.resource_graph
    kept = graph.kept(continued)
    if continued is not None and kept is not None:
        result, matched = continued, kept
    else:
        rows = graph.rows(query.table, state.store, state.access, state.settings.resource_graph_lag)
        if subscriptions is not None:
            wanted = {s.casefold() for s in subscriptions}
            rows = [row for row in rows if str(row["subscriptionId"]).casefold() in wanted]
        matched = run_query(query, rows)
        result = graph.keep(matched)
    start = skip + offset
    page = matched[start : start + top]
    more = start + len(page) < len(matched)
    answer: dict[str, Any] = {
        "totalRecords": len(matched),
        "count": len(page),
        "resultTruncated": "true" if more and "id" not in query.projection else "false",
        "data": page,
        "facets": [],
    }
    if more and "id" in query.projection:
        answer["$skipToken"] = _skip_token(start + len(page), result)
    return ArmResponse(200, answer, quota)


PROVIDER = ResourceProvider(
    NAMESPACE,
    (
        ResourceType(
            "resources",
            API_VERSIONS,
            _handle,
            item_scopes=frozenset(),
            list_operations={"tenant": "Resources"},
        ),
    ),
)
