"""Validating the merged document with openapi-spec-validator, as one-line problems with pointers.

Two passes, as openapi-spec-validator does them: the document against the official OpenAPI JSON Schema
(compiled with jsonschema_rs, whose nested errors let us name the actual cause instead of "not valid under
any of the schemas listed in 'oneOf'"), then its semantic checks (duplicate operationIds, unresolved path
parameters, invalid schemas), run path by path and schema by schema so each problem gets a place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from functools import cache, partial
from typing import Any

import jsonschema_rs
from openapi_schema_validator import OAS31_BASE_DIALECT_ID, OAS30Validator, OAS31Validator
from openapi_schema_validator._specifications import REGISTRY as OPENAPI_SCHEMAS
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.schemas.utils import get_schema_content
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.refs import ExternalValues

Locate = Callable[[str], tuple[str, str]]  # merged-document pointer -> (file, pointer in that file)

_MAX_MESSAGE = 200
_NAMES = {"2.0": "Swagger 2.0", "3.0": "OpenAPI 3.0", "3.1": "OpenAPI 3.1"}
# Swagger 2.0 allows `type: file` in a response's schema; openapi-spec-validator's schema check does not.
_FILE_TYPE_MISREAD = "'file' is not valid under any of the given schemas"
_OPERATION_IN_MESSAGE = re.compile(r"for '(get|put|post|delete|options|head|patch|trace)'")
_Finding = tuple[str, str]  # (pointer in the merged document, reason)
_ENUM_ERROR = jsonschema_rs.ValidationErrorKind.Enum
_OAS31_VOCABULARY = "https://spec.openapis.org/oas/3.1/meta/base"


def validate_document(
    document: dict[str, Any], version: str, locate: Locate, external: ExternalValues | None = None
) -> list[Problem]:
    """Every problem openapi-spec-validator finds in `document` (an OpenAPI `version` document).

    Values `external` holds (read from files the spec refers to) are never quoted in a message.
    """
    family = version[:3]  # "2.0", "3.0" or "3.1"
    findings = [*_structural_findings(document, family)]
    explained = {pointer for pointer, _ in findings}
    findings += _until_failure(_semantic_findings(document, family, explained, external))
    problems: list[Problem] = []
    seen: set[_Finding] = set()
    for pointer, reason in findings:
        if family == "2.0" and reason == _FILE_TYPE_MISREAD:
            continue
        if (pointer, reason) not in seen:
            seen.add((pointer, reason))
            file, file_pointer = locate(pointer)
            problems.append(Problem(file, file_pointer, f"invalid {_NAMES[family]}: {reason}"))
    return problems


# --- against the OpenAPI JSON Schema ----------------------------------------------------------------------


@cache
def _meta_validator(family: str) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(dict(get_schema_content(family)))


def _structural_findings(document: dict[str, Any], family: str) -> Iterator[_Finding]:
    for error in _meta_validator(family).iter_errors(document):
        yield from _explain(error)


def _explain(error: jsonschema_rs.ValidationError) -> Iterator[_Finding]:
    """The most specific reasons behind an error, descending into the best `oneOf`/`anyOf` branch."""
    context = getattr(error.kind, "context", None) or ()
    branches = [branch for branch in context if not _wants_ref_only(branch)]
    if not branches or not all(branches):  # an empty branch matched: the error is about the whole
        yield _pointer(error.instance_path), _short(error.message)
        return
    best_score = max(_score(branch) for branch in branches)
    best = [branch for branch in branches if _score(branch) == best_score]
    enum_errors = [sub for branch in best for sub in branch if isinstance(sub.kind, _ENUM_ERROR)]
    if len(best) > 1 and len(enum_errors) == len(best):  # e.g. "in" must be one of path, query, ...
        # Branches failing at different places (`in` for three, `required` for the path parameter one):
        # the odd one out is the branch the author meant.
        by_place: dict[str, list[jsonschema_rs.ValidationError]] = {}
        for sub in enum_errors:
            by_place.setdefault(_pointer(sub.instance_path), []).append(sub)
        enum_errors = min(by_place.values(), key=len)
        options = [option for sub in enum_errors for option in sub.kind.options]
        found, allowed = _json(enum_errors[0].instance), [_json(option) for option in options]
        reason = f"must be {allowed[0]}, not {found}" if len(allowed) == 1 else (
            f"{found} is not one of {', '.join(allowed)}"
        )
        yield _pointer(enum_errors[0].instance_path), _short(reason)
        return
    for sub in best[0]:
        yield from _explain(sub)


def _wants_ref_only(branch: list[jsonschema_rs.ValidationError]) -> bool:
    """The branch that only fails for lack of `$ref`: the "Reference object" alternative."""
    return len(branch) == 1 and isinstance(branch[0].kind, jsonschema_rs.ValidationErrorKind.Required) and (
        branch[0].kind.property == "$ref"
    )


def _score(branch: list[jsonschema_rs.ValidationError]) -> tuple[int, int]:
    """Branches that got deeper into the instance before failing, with fewer errors, explain best."""
    return max(len(error.instance_path) for error in branch), -len(branch)


def _pointer(path: Iterable[Any]) -> str:
    return join_pointer(*(str(token) for token in path))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _short(message: str) -> str:
    line = " ".join(message.split("\n", 1)[0].split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


# --- semantic checks ----------------------------------------------------------------------------------------


def _semantic_findings(
    document: dict[str, Any], family: str, explained: set[str], external: ExternalValues | None
) -> Iterator[_Finding]:
    """The semantic findings; a component schema's is left out when a structural finding inside it (one of
    `explained`) names the cause more precisely."""
    validator_classes = {"2.0": OpenAPIV2SpecValidator, "3.0": OpenAPIV30SpecValidator}
    validator = validator_classes.get(family, OpenAPIV31SpecValidator)(document)
    registry = _KeywordValidators(validator.keyword_validators_registry)
    if family != "2.0":
        _speed_up(registry.get("schema"), family, document)
    root = validator.schema_path
    if isinstance(document.get("tags"), list):
        yield from _run("/tags", partial(registry.get("tags"), root / "tags"), external)
    # Component schemas first: the validator checks each schema once, so a broken component is reported
    # where it is defined rather than at the first path that happens to use it.
    section = ("definitions",) if family == "2.0" else ("components", "schemas")
    components = document.get(section[0])
    if isinstance(components, dict) and isinstance(components.get(section[-1], components), dict):
        schemas = root / section[0] / section[1] if len(section) == 2 else root / section[0]
        for name, schema in schemas.items():
            pointer = join_pointer(*section, name)
            if not any(found == pointer or found.startswith(pointer + "/") for found in explained):
                yield from _run(pointer, partial(registry.get("schema"), schema), external)
            else:
                # Run all the same: it marks the schema checked.
                _until_failure(_run(pointer, partial(registry.get("schema"), schema), external))
    if isinstance(document.get("paths"), dict):
        for url, item in (root / "paths").items():
            pointer = join_pointer("paths", url)
            yield from _run(pointer, partial(registry.get("path"), url, item), external, by_operation=True)


class _KeywordValidators:
    """openapi-spec-validator's keyword validators by keyword, as the callables they are at run time
    (its type hints say `KeywordValidator`, a class that does not declare `__call__`)."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def get(self, keyword: str) -> Callable[..., Iterable[Any]]:
        found: Callable[..., Iterable[Any]] = self._registry[keyword]
        return found


def _without_external_values(error: Any, external: ExternalValues | None) -> str:
    return str(error.message) if external is None else external.redact(str(error.message))


@cache
def openapi_vocabulary() -> set[str]:
    """Every string of the OpenAPI and JSON Schema meta-schemas: words any document may quote."""
    found: set[str] = set()
    pending: list[Any] = [get_schema_content(family) for family in ("2.0", "3.0", "3.1")]
    pending.append(OAS30Validator.META_SCHEMA)
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, dict):
            found.update(node)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


class _IdSet(set[int]):
    """A set that also answers to `append`, standing in for the validator's lists of visited schemas."""

    append = set.add


def _speed_up(schema_validator: Any, family: str, document: dict[str, Any]) -> None:
    """Same checks, faster: on big specs the validator spends nearly all its time in linear searches of
    the schemas it visited and in checking each schema against the meta-schema in pure Python."""
    for attribute in ("visited_schema_ids", "meta_checked_schema_ids"):
        if isinstance(getattr(schema_validator, attribute, None), list):
            setattr(schema_validator, attribute, _IdSet())
    if "jsonSchemaDialect" in document or not hasattr(schema_validator, "_validate_schema_meta"):
        return
    library_check = schema_validator._validate_schema_meta

    def check_against_meta_schema(schema: Any, schema_value: Any) -> Exception | None:
        if isinstance(schema_value, dict) and "$schema" in schema_value:
            return library_check(schema, schema_value)  # another dialect: let the library pick it
        error = next(_schema_meta_validator(family).iter_errors(schema_value), None)
        return None if error is None else OpenAPIValidationError(_short(error.message))

    schema_validator._validate_schema_meta = check_against_meta_schema


@cache
def _schema_meta_validator(family: str) -> jsonschema_rs.Validator:
    """The meta-schema the validator checks schema objects against, compiled with jsonschema_rs."""
    if family == "3.0":
        return jsonschema_rs.validator_for(OAS30Validator.META_SCHEMA, validate_formats=True)
    resources = [(uri, OPENAPI_SCHEMAS.contents(uri)) for uri in (OAS31_BASE_DIALECT_ID, _OAS31_VOCABULARY)]
    return jsonschema_rs.validator_for(OAS31Validator.META_SCHEMA, registry=jsonschema_rs.Registry(resources),
                                       validate_formats=True)


def _until_failure(findings: Iterator[_Finding]) -> list[_Finding]:
    """The findings produced before the validator (which assumes a sane document) fails, if it does."""
    collected: list[_Finding] = []
    with suppress(Exception):  # the structural pass has reported what confused it
        collected.extend(findings)
    return collected


def _run(
    pointer: str,
    check: Callable[[], Iterable[Any]],
    external: ExternalValues | None,
    by_operation: bool = False,
) -> Iterator[_Finding]:
    try:
        for error in check():
            where = pointer
            match = _OPERATION_IN_MESSAGE.search(error.message) if by_operation else None
            if match:
                where = pointer + join_pointer(match.group(1))
            yield where, _short(_without_external_values(error, external))
    # The semantic checks assume a structurally valid document and can fail on one that is not; the
    # structural pass has reported the cause already.
    except Exception:
        return
