"""Checking a binding's answers against the spec before they are served.

Every record is rendered through every binding of its collection (alone, as if it were the only
selected record, with and without page cursors) and the result is validated against the operation's
response schema. An error inside a record is reported at the record's place in its file; any other
error at the binding's body template. This checks each record against the item schema without having
to find the item schema inside the response schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.datasets.collections import RecordSource
from mockserver.datasets.cursors import Cursor, encode_cursor
from mockserver.datasets.templates import RenderValues, Template
from mockserver.fixture_files.checks import schema_error_items
from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.model import Spec

MAX_PROBLEMS_PER_BINDING = 50


@dataclass(frozen=True)
class SampleTarget:
    """A binding's body template and the schema its renders must match."""

    spec: Spec
    schema_pointer: str
    template: Template
    file: str
    pointer: str  # where the body template sits in its file
    param_defaults: Mapping[str, Any]
    owner_param: str | None
    page_limit: int | None  # None: not paginated


@dataclass(frozen=True)
class Sample:
    """One record to render alone (None: render an empty selection), with its owner and tenant."""

    record: Mapping[str, Any] | None
    source: RecordSource | None
    owner: Mapping[str, Any] | None
    owner_key: Any
    tenant: str | None


def check_samples(target: SampleTarget, samples: list[Sample]) -> list[Problem]:
    """Problems found validating the render of each sample; each distinct problem once."""
    problems: dict[tuple[str, str, str], Problem] = {}
    validator = target.spec.validator(target.schema_pointer)
    for sample in samples:
        chosen = [] if sample.record is None else [sample.record]
        params = dict(target.param_defaults)
        if target.owner_param is not None:
            params[target.owner_param] = sample.owner_key
        for page in _page_variants(target.page_limit, len(chosen)):
            body = target.template.render(RenderValues(
                selected=chosen, answered=list(chosen), page={**page, "items": list(chosen)},
                params=params, owner=sample.owner, tenant=sample.tenant,
            ))
            for path, message in schema_error_items(validator, body):
                problem = _locate(target, path, message, sample.source)
                problems.setdefault((problem.file, problem.pointer, problem.message), problem)
        if len(problems) >= MAX_PROBLEMS_PER_BINDING:
            break
    return list(problems.values())


def _page_variants(limit: int | None, count: int) -> list[dict[str, Any]]:
    if limit is None:
        return [{}]
    cursor = encode_cursor(Cursor(0, True))
    return [
        {"total": count, "limit": limit, "count": count, "has_next": False, "has_prev": False,
         "next_cursor": None, "prev_cursor": None},
        {"total": count + 2, "limit": limit, "count": count, "has_next": True, "has_prev": True,
         "next_cursor": cursor, "prev_cursor": cursor},
    ]


def _locate(target: SampleTarget, path: tuple[Any, ...], message: str,
            source: RecordSource | None) -> Problem:
    """Report an error of a rendered body at the record it comes from, else at the template."""
    for records_path in target.template.record_paths:
        depth = len(records_path)
        if path[:depth] != records_path:
            continue
        if source is not None and len(path) > depth:
            return Problem(source.file, source.pointer + join_pointer(*path[depth + 1:]),
                           f"record does not match the response schema: {message}")
        path = records_path
        break
    return Problem(target.file, target.pointer + join_pointer(*path),
                   f"the rendered body does not match the response schema: {message}")
