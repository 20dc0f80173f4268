"""Named responses ready to serve: conditions resolved to the spec's parameter names, bodies encoded once.

When several responses match a request, the most specific wins: more conditions beat fewer; with as
many conditions, more exact (non-regex) conditions win; remaining ties go to file order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.fixture_files.checks import fixture_media_type, parameter_key
from mockserver.fixture_files.models import NamedResponse, RegexCondition, condition_text
from mockserver.fixture_files.values import condition_text as text
from mockserver.fixture_files.values import plain
from mockserver.foundation.jsonbytes import json_bytes
from mockserver.http.negotiation import is_json, response_key_for
from mockserver.spec.model import Operation


@dataclass(frozen=True)
class Condition:
    """One condition on a request parameter (`name` as the spec spells it)."""

    location: str  # "path", "query" or "header"
    name: str
    exact: str | None
    pattern: re.Pattern[str] | None

    def holds(self, value: Any) -> bool:
        if value is None:
            return False
        found = _match_text(value)
        return found == self.exact if self.pattern is None else self.pattern.fullmatch(found) is not None


def _match_text(value: Any) -> str:
    value = plain(value)
    if isinstance(value, list):
        return ",".join(text(item) for item in value)
    return text(value)


@dataclass(frozen=True)
class CompiledResponse:
    """A named response ready to answer."""

    name: str
    operation: Operation
    conditions: tuple[Condition, ...]
    order: int  # position in file order
    on_demand: bool
    status: int
    response_key: str
    media_type: str | None
    body: Any  # encoded JSON bytes, other data, or None
    has_body: bool
    headers: dict[str, str]
    delay_ms: int
    fault: str | None
    fills_headers: bool  # the documented response has required headers the fixture does not set

    @property
    def specificity(self) -> tuple[int, int]:
        """(conditions, exact conditions): compared in this order, higher wins."""
        return len(self.conditions), sum(1 for condition in self.conditions if condition.pattern is None)

    def fits(self, path: Mapping[str, Any], query: Mapping[str, Any], headers: Mapping[str, Any]) -> bool:
        """True when every condition holds for the request's typed parameters."""
        sources = {"path": path, "query": query, "header": headers}
        return all(condition.holds(sources[condition.location].get(condition.name))
                   for condition in self.conditions)


def compile_response(operation: Operation, fixture: NamedResponse, order: int) -> CompiledResponse:
    """Compile a named response that passed `check_named_response`."""
    spec_names = {parameter_key(p.location, p.name): p.name for p in operation.parameters}
    conditions = []
    for location, name, condition in fixture.match.conditions():
        spec_name = spec_names[parameter_key(location, name)]
        if isinstance(condition, RegexCondition):
            conditions.append(Condition(location, spec_name, None, re.compile(condition.regex)))
        else:
            conditions.append(Condition(location, spec_name, condition, None))
    response = fixture.response
    key = response_key_for(operation, response.status)
    assert key is not None, "checked before compiling"
    media_type = fixture_media_type(operation, key, response.media_type)
    body = response.body
    if response.has_body and media_type is not None and is_json(media_type):
        body = json_bytes(body)
    headers = {name: condition_text(value) for name, value in response.headers.items()}
    given = {name.lower() for name in headers}
    fills = any(header.required and name.lower() not in given and name.lower() != "content-type"
                for name, header in operation.responses[key].headers.items())
    return CompiledResponse(
        name=fixture.name, operation=operation, conditions=tuple(conditions), order=order,
        on_demand=fixture.on_demand, status=response.status, response_key=key, media_type=media_type,
        body=body, has_body=response.has_body, headers=headers, delay_ms=fixture.delay_ms,
        fault=fixture.fault, fills_headers=fills,
    )


def by_specificity(responses: list[CompiledResponse]) -> list[CompiledResponse]:
    """Most specific first; ties in file order."""
    return sorted(responses, key=lambda r: (-r.specificity[0], -r.specificity[1], r.order))
