"""Reading and checking the Unified Catalog's request fields, and the errors it answers.

Every refusal is Azure.Core's ``ErrorResponse`` (``{"error": {"code", "message", "target"?}}``; the
gateway adds ``x-ms-error-code``). A field of the wrong JSON type, a malformed uuid or a value outside
its enum is 400 ``InvalidRequest`` whose ``target`` names the field (a dotted path into the body, or
the query or path parameter). The codes are the emulator's choice: the service documents none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..calls import PurviewCall
from ..errors import PurviewError

__all__ = [
    "CONTACT_ROLES",
    "already_exists",
    "boolean_query",
    "conflict",
    "contacts",
    "enum_list",
    "enum_value",
    "invalid",
    "links",
    "managed_attributes",
    "not_found",
    "optional_bool",
    "optional_enum",
    "optional_object",
    "optional_str",
    "path_uuid",
    "required_enum",
    "required_str",
    "skip_top",
    "uuid_list",
    "uuid_value",
]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DIGITS = re.compile(r"^[0-9]+$")
CONTACT_ROLES = ("owner", "expert", "databaseAdmin")


def invalid(target: str, message: str) -> PurviewError:
    """400 ``InvalidRequest`` naming the offending field."""
    return PurviewError(400, "InvalidRequest", message, target=target)


def not_found(what: str, identifier: str) -> PurviewError:
    return PurviewError(404, "NotFound", f"The {what} '{identifier}' was not found.")


def conflict(code: str, message: str) -> PurviewError:
    return PurviewError(409, code, message)


def already_exists(what: str, identifier: str) -> PurviewError:
    return conflict("AlreadyExists", f"A {what} with id '{identifier}' already exists.")


def uuid_value(value: object, target: str) -> str:
    """A uuid string, lower-cased (ids compare case-insensitively)."""
    if not isinstance(value, str) or _UUID.match(value) is None:
        raise invalid(target, f"The value of '{target}' must be a uuid, got {value!r}.")
    return value.lower()


def uuid_list(value: object, target: str) -> list[str]:
    if not isinstance(value, list):
        raise invalid(target, f"The value of '{target}' must be an array of uuids.")
    return [uuid_value(item, f"{target}[{index}]") for index, item in enumerate(value)]


def path_uuid(call: PurviewCall, name: str) -> str:
    """A uuid path parameter; a malformed one is 400 (the route's template types it ``format: uuid``)."""
    return uuid_value(call.params[name], name)


def required_str(body: Mapping[str, Any], key: str, target: str | None = None) -> str:
    """A required, non-empty string."""
    where = target or key
    value = body.get(key)
    if value is None:
        raise invalid(where, f"The field '{where}' is required.")
    if not isinstance(value, str):
        raise invalid(where, f"The field '{where}' must be a string.")
    if not value.strip():
        raise invalid(where, f"The field '{where}' must not be empty.")
    return value


def optional_str(body: Mapping[str, Any], key: str, target: str | None = None) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        where = target or key
        raise invalid(where, f"The field '{where}' must be a string.")
    return value


def optional_bool(body: Mapping[str, Any], key: str, target: str | None = None) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        where = target or key
        raise invalid(where, f"The field '{where}' must be a boolean.")
    return value


def optional_object(body: Mapping[str, Any], key: str, target: str | None = None) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        where = target or key
        raise invalid(where, f"The field '{where}' must be an object.")
    return value


def enum_value(value: object, allowed: Sequence[str], target: str) -> str:
    """One of ``allowed``, exactly (enum values are case-sensitive)."""
    if not isinstance(value, str) or value not in allowed:
        raise invalid(target, f"The value {value!r} of '{target}' is not one of {', '.join(allowed)}.")
    return value


def required_enum(body: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str:
    if body.get(key) is None:
        raise invalid(key, f"The field '{key}' is required.")
    return enum_value(body[key], allowed, key)


def optional_enum(body: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str | None:
    return enum_value(body[key], allowed, key) if body.get(key) is not None else None


def enum_list(value: object, allowed: Sequence[str], target: str) -> list[str]:
    if not isinstance(value, list):
        raise invalid(target, f"The field '{target}' must be an array.")
    return [enum_value(item, allowed, f"{target}[{index}]") for index, item in enumerate(value)]


def contacts(value: object, target: str = "contacts") -> dict[str, list[dict[str, Any]]]:
    """``{"owner"|"expert"|"databaseAdmin": [{"id": uuid, "description"?: str}]}``."""
    if not isinstance(value, dict):
        raise invalid(target, f"The field '{target}' must be an object.")
    checked: dict[str, list[dict[str, Any]]] = {}
    for role, entries in value.items():
        where = f"{target}.{role}"
        if role not in CONTACT_ROLES:
            raise invalid(where, f"'{role}' is not a contact role; use {', '.join(CONTACT_ROLES)}.")
        if not isinstance(entries, list):
            raise invalid(where, f"The field '{where}' must be an array.")
        items: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            at = f"{where}[{index}]"
            if not isinstance(entry, dict):
                raise invalid(at, f"The field '{at}' must be an object.")
            item: dict[str, Any] = {"id": uuid_value(entry.get("id"), f"{at}.id")}
            description = optional_str(entry, "description", f"{at}.description")
            if description is not None:
                item["description"] = description
            items.append(item)
        checked[role] = items
    return checked


def links(value: object, target: str) -> list[dict[str, Any]]:
    """``termsOfUse``/``documentation``: ``[{"url", "name", "dataAssetId"?}]``."""
    if not isinstance(value, list):
        raise invalid(target, f"The field '{target}' must be an array.")
    checked: list[dict[str, Any]] = []
    for index, entry in enumerate(value):
        at = f"{target}[{index}]"
        if not isinstance(entry, dict):
            raise invalid(at, f"The field '{at}' must be an object.")
        item: dict[str, Any] = {
            "url": required_str(entry, "url", f"{at}.url"),
            "name": required_str(entry, "name", f"{at}.name"),
        }
        if entry.get("dataAssetId") is not None:
            item["dataAssetId"] = uuid_value(entry["dataAssetId"], f"{at}.dataAssetId")
        checked.append(item)
    return checked


def managed_attributes(value: object, target: str = "managedAttributes") -> list[dict[str, Any]]:
    """``[{"name"?, "value"?, "isRequired"?}]``, kept as given once the types are right."""
    if not isinstance(value, list):
        raise invalid(target, f"The field '{target}' must be an array.")
    for index, entry in enumerate(value):
        at = f"{target}[{index}]"
        if not isinstance(entry, dict):
            raise invalid(at, f"The field '{at}' must be an object.")
        optional_str(entry, "name", f"{at}.name")
        optional_bool(entry, "isRequired", f"{at}.isRequired")
    return [dict(entry) for entry in value]


def boolean_query(call: PurviewCall, name: str, *, required: bool) -> bool | None:
    """A boolean query parameter, ``true`` or ``false`` (any case)."""
    raw = call.arg(name)
    if raw is None:
        if required:
            raise invalid(name, f"The query parameter '{name}' is required.")
        return None
    if raw.lower() not in ("true", "false"):
        raise invalid(name, f"The query parameter '{name}' must be true or false, got '{raw}'.")
    return raw.lower() == "true"


def _int(raw: object, name: str, minimum: int) -> int:
    if isinstance(raw, bool):
        raise invalid(name, f"'{name}' must be an integer >= {minimum}.")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.match(raw):
        value = int(raw)
    else:
        raise invalid(name, f"'{name}' must be an integer >= {minimum}, got {raw!r}.")
    if value < minimum:
        raise invalid(name, f"'{name}' must be an integer >= {minimum}, got {value}.")
    return value


def skip_top(skip: object, top: object) -> tuple[int, int | None]:
    """``skip`` (integer >= 0, default 0) and ``top`` (integer >= 1, or ``None``), from a query or a body."""
    return (
        _int(skip, "skip", 0) if skip is not None else 0,
        _int(top, "top", 1) if top is not None else None,
    )
