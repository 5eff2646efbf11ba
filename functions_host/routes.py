"""Route templates of HTTP-triggered functions, matched the way the Functions host matches them.

The Functions host routes HTTP triggers with ASP.NET route templates: ``/``-separated segments,
literal text matched case-insensitively, parameters ``{name}``, optional ``{name?}``, defaults
``{name=value}``, catch-alls ``{*rest}`` / ``{**rest}``, and inline constraints
``{name:int}``, ``{name:guid}``, ``{name:regex(^a+$)}``, chained as ``{id:int:min(1)}``. Braces are
escaped by doubling them (``{{`` / ``}}``). A failed constraint means the route does not match, so
the request falls through to another route or 404s, as in ASP.NET.

When several routes match one path, the most specific wins (ASP.NET's inbound precedence: a literal
segment beats a constrained parameter, which beats a plain parameter, which beats a catch-all).

Implemented constraints: int, long, bool, guid, alpha, regex(...), min/max/range, minlength/
maxlength/length, double/float/decimal, datetime, required. An unknown constraint name is accepted
as unconstrained (reported through ``RouteTemplate.unknown_constraints`` so the host can warn).

Pure and synchronous: nothing here does I/O, which keeps it cheap to test exhaustively.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import unquote

__all__ = ["Constraint", "Parameter", "RouteTemplate", "RouteTemplateError", "best_match"]

T = TypeVar("T")

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"[+-]?\d+")
_HEX = "[0-9a-fA-F]"
_GUID_D = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_GUID = re.compile(rf"{_GUID_D}|{_HEX}{{32}}|\{{{_GUID_D}\}}|\({_GUID_D}\)")
_ALPHA = re.compile(r"[a-zA-Z]+")

# Inbound precedence digits, as in ASP.NET's RoutePrecedence: lower is more specific.
_LITERAL, _COMPLEX, _CONSTRAINED, _PLAIN, _CATCH_ALL = 1, 2, 3, 4, 5


class RouteTemplateError(ValueError):
    """The template is not a valid route template (the real host refuses to index such a function)."""


def _as_int(value: str, bounds: tuple[int, int]) -> int | None:
    if not _INTEGER.fullmatch(value):
        return None
    number = int(value)
    return number if bounds[0] <= number <= bounds[1] else None


def _as_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_datetime(value: str) -> bool:
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _int_args(argument: str | None, count: int) -> tuple[int, ...]:
    parts = [] if argument is None else [part.strip() for part in argument.split(",")]
    if len(parts) != count or not all(_INTEGER.fullmatch(part) for part in parts):
        raise RouteTemplateError(f"constraint needs {count} integer argument(s), got {argument!r}")
    return tuple(int(part) for part in parts)


def _compile_check(name: str, argument: str | None) -> Callable[[str], bool] | None:
    """The predicate for one constraint, or None when the constraint name is unknown."""
    simple: dict[str, Callable[[str], bool]] = {
        "int": lambda value: _as_int(value, _INT32) is not None,
        "long": lambda value: _as_int(value, _INT64) is not None,
        "bool": lambda value: value.lower() in {"true", "false"},
        "guid": lambda value: _GUID.fullmatch(value) is not None,
        "alpha": lambda value: _ALPHA.fullmatch(value) is not None,
        "double": lambda value: _as_float(value) is not None,
        "float": lambda value: _as_float(value) is not None,
        "decimal": lambda value: _as_float(value) is not None,
        "datetime": _is_datetime,
        "required": lambda value: value != "",
    }
    if name in simple:
        return simple[name]
    if name == "regex":
        if argument is None:
            raise RouteTemplateError("regex constraint needs a pattern: regex(...)")
        try:
            pattern = re.compile(argument, re.IGNORECASE)
        except re.error as error:
            raise RouteTemplateError(f"invalid regex constraint {argument!r}: {error}") from None
        # ASP.NET's regex constraint is not implicitly anchored: the pattern brings its own ^ and $.
        return lambda value: pattern.search(value) is not None
    if name in {"min", "max"}:
        (limit,) = _int_args(argument, 1)
        if name == "min":
            return lambda value: (number := _as_int(value, _INT64)) is not None and number >= limit
        return lambda value: (number := _as_int(value, _INT64)) is not None and number <= limit
    if name == "range":
        low, high = _int_args(argument, 2)
        return lambda value: (number := _as_int(value, _INT64)) is not None and low <= number <= high
    if name == "minlength":
        (shortest,) = _int_args(argument, 1)
        return lambda value: len(value) >= shortest
    if name == "maxlength":
        (longest,) = _int_args(argument, 1)
        return lambda value: len(value) <= longest
    if name == "length":
        counts = _int_args(argument, 2 if argument is not None and "," in argument else 1)
        low, high = (counts[0], counts[0]) if len(counts) == 1 else counts
        return lambda value: low <= len(value) <= high
    return None


@dataclass(frozen=True, slots=True)
class Constraint:
    """One inline constraint such as ``int`` or ``regex(^x$)``; unknown names accept everything."""

    name: str
    argument: str | None = None
    check: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, name: str, argument: str | None) -> Constraint:
        return cls(name, argument, _compile_check(name.lower(), argument))

    @property
    def known(self) -> bool:
        return self.check is not None

    def accepts(self, value: str) -> bool:
        return True if self.check is None else self.check(value)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A ``{...}`` placeholder inside a segment."""

    name: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    constraints: tuple[Constraint, ...] = ()

    def accepts(self, value: str) -> bool:
        return all(constraint.accepts(value) for constraint in self.constraints)


Part = str | Parameter


def _split_segments(template: str) -> list[str]:
    """Split on ``/`` outside braces, so regex constraints may contain slashes."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    for char in template:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        if char == "/" and depth == 0:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    return segments


def _tokenize_segment(segment: str) -> list[Part]:
    """Literal text and raw ``{...}`` bodies (unescaped), in order."""
    parts: list[Part] = []
    literal: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        pair = segment[index : index + 2]
        if pair in {"{{", "}}"}:
            literal.append(char)
            index += 2
            continue
        if char == "}":
            raise RouteTemplateError(f"unmatched '}}' in segment {segment!r}")
        if char != "{":
            literal.append(char)
            index += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        body: list[str] = []
        index += 1
        while True:
            if index >= len(segment):
                raise RouteTemplateError(f"unterminated parameter in segment {segment!r}")
            pair = segment[index : index + 2]
            if pair in {"{{", "}}"}:
                body.append(pair[0])
                index += 2
            elif segment[index] == "}":
                index += 1
                break
            else:
                body.append(segment[index])
                index += 1
        parts.append(_parse_parameter("".join(body)))
    if literal:
        parts.append("".join(literal))
    return parts


def _parse_parameter(body: str) -> Parameter:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    name_end = next((i for i, c in enumerate(body) if c in ":=?"), len(body))
    name = body[:name_end].strip()
    if not name:
        raise RouteTemplateError(f"parameter without a name: {{{body}}}")
    rest = body[name_end:]
    constraints: list[Constraint] = []
    while rest.startswith(":"):
        rest = rest[1:]
        stop = next((i for i, c in enumerate(rest) if c in "(:=?"), len(rest))
        constraint_name, rest = rest[:stop], rest[stop:]
        argument: str | None = None
        if rest.startswith("("):
            # The argument ends at the first ')' followed by another constraint, a default, '?' or
            # the end, so a regex argument may itself contain parentheses.
            close = next(
                (i for i in range(1, len(rest)) if rest[i] == ")" and rest[i + 1 : i + 2] in {"", ":", "=", "?"}),
                None,
            )
            if close is None:
                raise RouteTemplateError(f"unterminated constraint argument in {{{body}}}")
            argument, rest = rest[1:close], rest[close + 1 :]
        if not constraint_name:
            raise RouteTemplateError(f"empty constraint in {{{body}}}")
        constraints.append(Constraint.parse(constraint_name, argument))
    default: str | None = None
    optional = False
    if rest.startswith("="):
        default, rest = rest[1:], ""
    elif rest == "?":
        optional, rest = True, ""
    if rest:
        raise RouteTemplateError(f"cannot parse parameter {{{body}}}")
    return Parameter(name, optional, catch_all, default, tuple(constraints))


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """A parsed route template; ``match`` tests a request path relative to the route prefix."""

    template: str
    segments: tuple[tuple[Part, ...], ...]
    pattern: re.Pattern[str] = field(compare=False, repr=False)
    groups: tuple[tuple[str, Parameter], ...] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, template: str) -> RouteTemplate:
        stripped = template.strip().lstrip("~").strip("/")
        segments = [] if stripped == "" else [_tokenize_segment(s) for s in _split_segments(stripped)]
        names: set[str] = set()
        groups: list[tuple[str, Parameter]] = []
        regex: list[str] = []
        for position, parts in enumerate(segments):
            if not parts:
                raise RouteTemplateError(f"empty segment in route template {template!r}")
            for part in parts:
                if isinstance(part, Parameter):
                    if part.name.lower() in names:
                        raise RouteTemplateError(f"parameter {part.name!r} appears twice in {template!r}")
                    names.add(part.name.lower())
                    if part.catch_all and position != len(segments) - 1:
                        raise RouteTemplateError(f"catch-all must be the last segment in {template!r}")
            regex.append(cls._segment_regex(parts, groups))
        pattern = re.compile("^" + "".join(regex) + "/?$", re.IGNORECASE | re.DOTALL)
        return cls(template, tuple(tuple(parts) for parts in segments), pattern, tuple(groups))

    @staticmethod
    def _segment_regex(parts: Sequence[Part], groups: list[tuple[str, Parameter]]) -> str:
        def group_for(parameter: Parameter, body: str) -> str:
            name = f"g{len(groups)}"
            groups.append((name, parameter))
            return f"(?P<{name}>{body})"

        if len(parts) == 1 and isinstance(parts[0], Parameter):
            parameter = parts[0]
            if parameter.catch_all:
                return f"(?:/{group_for(parameter, '.*')})?"
            body = group_for(parameter, "[^/]+")
            omittable = parameter.optional or parameter.default is not None
            return f"(?:/{body})?" if omittable else f"/{body}"
        # A complex segment (literals and parameters mixed). ASP.NET matches these right to left;
        # greedy groups give the same split: "{name}.{ext}" on "a.b.c" is name "a.b", ext "c".
        pieces = [group_for(part, "[^/]+") if isinstance(part, Parameter) else re.escape(part) for part in parts]
        return "/" + "".join(pieces)

    @property
    def unknown_constraints(self) -> tuple[str, ...]:
        return tuple(
            constraint.name
            for _, parameter in self.groups
            for constraint in parameter.constraints
            if not constraint.known
        )

    @property
    def precedence(self) -> tuple[int, ...]:
        """Per-segment specificity digits; a smaller tuple is the more specific route."""
        digits: list[int] = []
        for parts in self.segments:
            if len(parts) > 1:
                digits.append(_COMPLEX)
                continue
            part = parts[0]
            if isinstance(part, str):
                digits.append(_LITERAL)
            elif part.catch_all:
                digits.append(_CATCH_ALL)
            else:
                digits.append(_CONSTRAINED if part.constraints else _PLAIN)
        return tuple(digits)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for ``path`` (raw, percent-encoded, starting with ``/``), or None.

        Values are percent-decoded; an omitted optional parameter is absent unless it has a default.
        """
        found = self.pattern.match(path if path.startswith("/") or path == "" else "/" + path)
        if found is None:
            return None
        values: dict[str, str] = {}
        for group, parameter in self.groups:
            raw = found.group(group)
            if raw is None or raw == "":
                if parameter.default is not None:
                    values[parameter.name] = parameter.default
                continue
            value = unquote(raw)
            if not parameter.accepts(value):
                return None
            values[parameter.name] = value
        return values


def best_match(candidates: Sequence[tuple[RouteTemplate, T]], path: str) -> tuple[T, dict[str, str]] | None:
    """The most specific route matching ``path``; ties go to the first registered."""
    matches = [
        (template.precedence, index, item, values)
        for index, (template, item) in enumerate(candidates)
        if (values := template.match(path)) is not None
    ]
    if not matches:
        return None
    _, _, item, values = min(matches, key=lambda match: (match[0], match[1]))
    return item, values
