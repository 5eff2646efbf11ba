"""Tag rules as ARM applies them: validation, and case-insensitive names in every operation.

Tag names are case-insensitive in ARM: writing ``Owner`` onto a group tagged ``owner`` updates the
existing tag and keeps its casing; deleting ``OWNER`` removes it. Values are case-sensitive. These
rules live in one place because resource-group PUT/PATCH and the tags-at-scope API share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .errors import GATEWAY_FAILURE, ArmError

__all__ = ["MAX_TAGS", "TagOperation", "apply_tag_patch", "find_tag", "parse_tags", "validate_tags"]

MAX_TAGS = 50
MAX_NAME_LENGTH = 512
MAX_VALUE_LENGTH = 256
_RESERVED_CHARACTERS = set("<>%&\\?/")
TagOperation = Literal["Merge", "Replace", "Delete"]


def parse_tags(value: Any, *, where: str = "tags") -> dict[str, str]:
    """The ``tags`` object of a request body, as ARM deserialises it (``null`` means none)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ArmError(
            400,
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: '{where}' must be an object.",
        )
    tags: dict[str, str] = {}
    for name, raw_value in value.items():
        tag_value = "" if raw_value is None else raw_value
        if not isinstance(tag_value, str):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized: "
                f"tag '{name}' must have a string value.",
            )
        existing = find_tag(tags, str(name))
        tags[existing if existing is not None else str(name)] = tag_value
    return tags


def find_tag(tags: Mapping[str, str], name: str) -> str | None:
    """The key under which ``name`` is stored, compared case-insensitively."""
    folded = name.casefold()
    for key in tags:
        if key.casefold() == folded:
            return key
    return None


def validate_tags(tags: Mapping[str, str]) -> None:
    """Raise ARM's 400 for a tag set ARM would refuse."""
    if len(tags) > MAX_TAGS:
        raise ArmError(
            400,
            "InvalidTags",
            f"Too many tags specified. Requested tag count - '{len(tags)}'. "
            f"Maximum number of tags allowed - '{MAX_TAGS}'.",
        )
    for name, value in tags.items():
        if not name.strip():
            raise ArmError(
                400,
                "InvalidTagName",
                "The tag name must be non-null, non-empty and non-whitespace only. Please provide an actual value.",
                GATEWAY_FAILURE,
            )
        if len(name) > MAX_NAME_LENGTH:
            raise ArmError(
                400,
                "InvalidTagName",
                f"Tag key too large. Following tag name '{name}' exceeded the maximum length. "
                f"Maximum allowed length for tag name - '{MAX_NAME_LENGTH}' characters.",
            )
        if any(character in _RESERVED_CHARACTERS or ord(character) < 32 for character in name):
            raise ArmError(
                400,
                "InvalidTagNameCharacters",
                f"The tag names '{name}' have reserved characters '<,>,%,&,\\,?,/' or control characters.",
            )
        if len(value) > MAX_VALUE_LENGTH:
            raise ArmError(
                400,
                "InvalidTagValueLength",
                f"Tag value too large. Following tag value '{value}' exceeded the maximum length. "
                f"Maximum allowed length for tag value - '{MAX_VALUE_LENGTH}' characters.",
            )


def apply_tag_patch(current: Mapping[str, str], operation: TagOperation, given: Mapping[str, str]) -> dict[str, str]:
    """The tag set after a ``PATCH …/tags/default`` with ``operation``.

    Merge adds the given tags, overwriting the value (not the casing) of a name that already exists.
    Replace makes the given tags the whole set. Delete removes each given name, or only the name with
    that value when a non-empty value is given.
    """
    if operation == "Replace":
        return dict(given)
    result = dict(current)
    for name, value in given.items():
        existing = find_tag(result, name)
        if operation == "Merge":
            result[existing if existing is not None else name] = value
        elif existing is not None and (value == "" or result[existing] == value):
            del result[existing]
    return result
