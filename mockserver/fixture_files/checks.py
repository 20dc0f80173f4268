"""Checking named responses against the spec: operation, status, media type, headers, body, match."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs

from mockserver.fixture_files.models import Match, NamedResponse, condition_text
from mockserver.fixture_files.reading import LoadedFile
from mockserver.foundation.problems import Problem, join_pointer
from mockserver.http.negotiation import is_json, response_key_for
from mockserver.spec.model import Operation, Spec, Validator

MAX_MESSAGE = 200  # schema messages quote the whole value; longer ones are shortened in the middle
# Headers that frame the message or concern one connection: the server writes them, never an answer's data.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
                             "trailer"})
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # visible characters, spaces, tabs, obs-text


def unknown_operation_message(spec: Spec, name: str) -> str:
    known = ", ".join(op.operation_id or op.key for op in spec.operations)
    return f"unknown operation {name!r} (known: {known})"


def schema_errors(spec: Spec, schema_pointer: str, instance: Any) -> list[tuple[str, str]]:
    """(JSON pointer inside `instance`, message) for every way `instance` violates the schema."""
    return [(join_pointer(*path), message)
            for path, message in schema_error_items(spec.validator(schema_pointer), instance)]


def schema_error_items(validator: Validator,
                       instance: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path inside `instance`, message) for every error, looking inside `anyOf`/`oneOf` when only one
    alternative could have been meant (e.g. `anyOf: [{type: array}, {type: null}]` given a list)."""
    items = []
    for error in validator.iter_errors(instance):
        for leaf in _meant(error):
            message = leaf.message
            if len(message) > MAX_MESSAGE:
                message = f"{message[:MAX_MESSAGE // 2]} ... {message[-MAX_MESSAGE // 2:]}"
            items.append((tuple(leaf.instance_path), message))
    return items


def _meant(error: jsonschema_rs.ValidationError) -> list[jsonschema_rs.ValidationError]:
    branches = getattr(error.kind, "context", None)
    if not branches:
        return [error]
    here = list(error.instance_path)
    plausible = [branch for branch in branches if not all(_type_mismatch_at(e, here) for e in branch)]
    if len(plausible) != 1:
        return [error]
    return [leaf for inner in plausible[0] for leaf in _meant(inner)]


def _type_mismatch_at(error: jsonschema_rs.ValidationError, path: list[Any]) -> bool:
    """True for "value is not of type X" at `path` itself: an alternative that was plainly not meant."""
    return list(error.instance_path) == path and type(error.kind).__name__ == "Type"


def check_named_response(spec: Spec, file: LoadedFile, index: int, fixture: NamedResponse) -> list[Problem]:
    """Every way one named response disagrees with the spec (empty when it is fine)."""
    pointer = f"/responses/{index}"
    label = f"response {fixture.name!r}"

    def problem(where: str, message: str) -> Problem:
        return Problem(file.display, pointer + where, f"{label}: {message}")

    operation = spec.find_operation(fixture.operation)
    if operation is None:
        return [problem("/operation", unknown_operation_message(spec, fixture.operation))]
    label = f"response {fixture.name!r} of {operation.key}"
    problems = [problem(join_pointer("match", section, name), message)
                for section, name, message in match_problems(operation, fixture.match)]
    response = fixture.response
    key = response_key_for(operation, response.status)
    if key is None:
        documented = ", ".join(sorted(operation.responses)) or "none"
        return [*problems, problem("/response/status",
                                   f"status {response.status} is not documented (documented: {documented})")]
    documented_response = operation.responses[key]
    problems += [problem(join_pointer("response", "headers", name), message)
                 for name, message in header_problems(spec, documented_response.headers, response.headers)]
    media_type = fixture_media_type(operation, key, response.media_type)
    if media_type is None:
        if response.media_type is not None:
            known = ", ".join(documented_response.content) or "none"
            problems.append(problem("/response/media_type",
                                    f"media type {response.media_type!r} is not documented for {key} "
                                    f"(documented: {known})"))
        elif response.has_body and response.body is not None:
            problems.append(problem("/response/body", f"response {key} documents no body"))
        return problems
    schema_pointer = documented_response.content[media_type].schema_pointer
    if response.has_body and schema_pointer is not None and is_json(media_type):
        problems += [problem(f"/response/body{where}", message)
                     for where, message in schema_errors(spec, schema_pointer, response.body)]
    return problems


def response_schema(operation: Operation, key: str) -> str | None:
    """The schema pointer of the body a fixture of response `key` answers with (JSON first), or None."""
    media_type = fixture_media_type(operation, key, None)
    return None if media_type is None else operation.responses[key].content[media_type].schema_pointer


def fixture_media_type(operation: Operation, key: str, wanted: str | None) -> str | None:
    """The documented media type a fixture answers with: the one it names, else JSON first."""
    content = operation.responses[key].content
    if wanted is not None:
        return wanted if wanted in content else None
    json_first = sorted(content, key=lambda media: not is_json(media))
    return json_first[0] if json_first else None


def match_problems(operation: Operation, match: Match) -> list[tuple[str, str, str]]:
    """(section, name, message) for conditions on parameters the operation does not declare."""
    declared = {parameter_key(p.location, p.name) for p in operation.parameters}
    sections = {"path": "path", "query": "query", "header": "headers"}
    problems = []
    for location, name, _ in match.conditions():
        if parameter_key(location, name) not in declared:
            known = sorted(p.name for p in operation.parameters if p.location == location)
            problems.append((sections[location], name,
                             f"{operation.key} has no {location} parameter {name!r} "
                             f"(declared: {', '.join(known) or 'none'})"))
    return problems


def parameter_key(location: str, name: str) -> tuple[str, str]:
    """How a parameter is looked up: header names are case-insensitive."""
    return location, name.lower() if location == "header" else name


def header_field_problem(name: str, value: str) -> str | None:
    """Why a response header `name: value` set by an answer (a fixture, an override) cannot be sent as
    it is: not an RFC 9110 field, or one the server writes itself. None when it can."""
    if not _FIELD_NAME.fullmatch(name):
        return f"{name!r} is not a valid header name (RFC 9110: letters, digits and !#$%&'*+-.^_`|~)"
    if name.lower() in FRAMING_HEADERS:
        return f"header {name!r} frames the message or the connection: the server sets it, an answer cannot"
    if name.lower() == "content-type":
        return "set the media type, not a Content-Type header"
    if not _FIELD_VALUE.fullmatch(value):
        return (f"the value of header {name!r} holds a line break, a control character or a character "
                "outside Latin-1 (RFC 9110)")
    return None


def header_problems(spec: Spec, documented: dict[str, Any], given: dict[str, Any]) -> list[tuple[str, str]]:
    """(header, message) for fixture headers the response does not document or whose value is invalid."""
    by_lower = {name.lower(): header for name, header in documented.items()}
    problems = []
    for name, value in given.items():
        if name.lower() == "content-type":
            problems.append((name, "set the media type with `media_type`, not a Content-Type header"))
            continue
        field_problem = header_field_problem(name, condition_text(value))
        if field_problem is not None:
            problems.append((name, field_problem))
            continue
        header = by_lower.get(name.lower())
        if header is None:
            known = ", ".join(documented) or "none"
            problems.append((name, f"header {name!r} is not documented for this response "
                                   f"(documented: {known})"))
            continue
        text = condition_text(value)
        validator = spec.validator(header.schema_pointer)
        if not (validator.is_valid(text) or validator.is_valid(value)):
            problems.append((name, f"value {text!r} does not match the header's schema"))
    return problems
