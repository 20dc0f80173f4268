"""Compiling one binding: resolving its operation, collections, parameters, predicates, page rules,
body template and hook, and reporting every problem at its place in the fixture file.

A binding that compiles is then checked by rendering (see `mockserver.datasets.checks`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockserver.datasets.binding import (
    DEFAULT_LIMIT,
    CompiledBinding,
    ErrorRule,
    FilterFactory,
    HookSetup,
    OwnerRule,
    PageRules,
    field_filter,
    search_filter,
    switch_filter,
)
from mockserver.datasets.checks import Sample, SampleTarget, check_samples
from mockserver.datasets.collections import IndexedCollection, Record
from mockserver.datasets.hooks import HookLoader, HookLoadError
from mockserver.datasets.predicates import Predicate, PredicateError, all_of, parse_predicate, predicate_field
from mockserver.datasets.templates import Template, compile_template
from mockserver.fixture_files.checks import (
    fixture_media_type,
    parameter_key,
    response_schema,
    schema_errors,
    unknown_operation_message,
)
from mockserver.fixture_files.models import Binding
from mockserver.foundation.problems import Problem, join_pointer
from mockserver.http.negotiation import default_response_key, response_key_for, status_code_for
from mockserver.spec.model import Operation, Parameter, Spec

PARAMETER_LOCATIONS = ("path", "query", "header")


def unknown_collection(file: str, pointer: str, name: str, collections: Mapping[str, Any]) -> Problem:
    known = ", ".join(sorted(collections)) or "none"
    return Problem(file, pointer, f"unknown collection {name!r} (known: {known})")


class BindingCompiler:
    """Compiles the bindings of one dataset."""

    def __init__(self, spec: Spec, collections: Mapping[str, IndexedCollection], hooks: HookLoader | None,
                 unknown_tenant: ErrorRule | None) -> None:
        self.spec = spec
        self.collections = collections
        self.hooks = hooks
        self.unknown_tenant = unknown_tenant  # None: every tenant is accepted

    def compile(self, binding: Binding, file: str,
                pointer: str) -> tuple[CompiledBinding | None, list[Problem]]:
        operation = self.spec.find_operation(binding.operation)
        if operation is None:
            message = unknown_operation_message(self.spec, binding.operation)
            return None, [Problem(file, f"{pointer}/operation", message)]
        return _OneBinding(self, operation, binding, file, pointer).compile()


class _OneBinding:
    """The compilation of one binding; `problems` collects what is wrong with it."""

    def __init__(self, owner: BindingCompiler, operation: Operation, binding: Binding, file: str,
                 pointer: str) -> None:
        self.compiler = owner
        self.spec = owner.spec
        self.operation = operation
        self.binding = binding
        self.file = file
        self.pointer = pointer
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.pointer + where,
                                     f"binding of {self.operation.key}: {message}"))

    def compile(self) -> tuple[CompiledBinding | None, list[Problem]]:
        binding = self.binding
        status, key, media_type = self.success()
        collection = self.collection(binding.collection, "/collection")
        if self.compiler.unknown_tenant is not None:
            self.error_rule(self.compiler.unknown_tenant, "the answer for unknown tenants (tenants/unknown)")
        owner = self.owner(collection)
        where = self.predicates(binding.where, "/where", collection)
        filters = self.filters(collection)
        for index, name in enumerate(binding.order_by):
            self.field(name.removeprefix("-"), f"/order_by/{index}", collection)
        page = self.page()
        template = self.template() if "body" in binding.model_fields_set else None
        hook = self.hook()
        if self.problems or status is None or key is None or media_type is None:
            return None, self.problems
        compiled = CompiledBinding(self.operation.key, status, key, media_type, collection, where, filters,
                                   binding.order_by, owner, page, template, hook)
        schema_pointer = self.operation.responses[key].content[media_type].schema_pointer
        if template is not None and schema_pointer is not None:
            target = SampleTarget(self.spec, schema_pointer, template, self.file, f"{self.pointer}/body",
                                  self.param_defaults(), owner.param if owner else None,
                                  page.default_limit if page else None)
            self.problems += check_samples(target, _samples(collection, owner))
        return compiled, self.problems

    # --- references ------------------------------------------------------------------------------

    def collection(self, name: str | None, where: str) -> IndexedCollection | None:
        if name is None:
            return None
        found = self.compiler.collections.get(name)
        if found is None:
            self.problems.append(unknown_collection(self.file, self.pointer + where, name,
                                                    self.compiler.collections))
        return found

    def parameter(self, name: str, where: str,
                  locations: tuple[str, ...] = PARAMETER_LOCATIONS) -> Parameter | None:
        for parameter in self.operation.parameters:
            key = parameter_key(parameter.location, parameter.name)
            if parameter.location in locations and key == parameter_key(parameter.location, name):
                return parameter
        declared = ", ".join(p.name for p in self.operation.parameters if p.location in locations) or "none"
        self.problem(where, f"{name!r} is not a parameter of the operation (declared: {declared})")
        return None

    def field(self, name: str, where: str, collection: IndexedCollection | None) -> None:
        """Report a field no record of a (non-empty) collection has: most likely a typo."""
        if collection is None or not collection.records:
            return
        top = name.split(".")[0]
        if not any(top in record for record in collection.records):
            self.problem(where, f"no record of {collection.name!r} has a field {top!r}")

    # --- responses -------------------------------------------------------------------------------

    def success(self) -> tuple[int | None, str | None, str | None]:
        """The success status the binding answers, its response key and media type."""
        wanted = self.binding.status
        operation = self.operation
        key = default_response_key(operation) if wanted is None else response_key_for(operation, wanted)
        if key is None or not (key.startswith("2") or key == "default"):
            self.problem("/status", "the operation documents no success (2xx) response to answer with")
            return None, None, None
        media_type = fixture_media_type(operation, key, None)
        if media_type is None:
            self.problem("/status", f"response {key} documents no body to render")
            return None, None, None
        return status_code_for(key, wanted), key, media_type

    def error_rule(self, rule: ErrorRule, purpose: str, where: str = "") -> None:
        """Report an error answer whose status is undocumented or whose body breaks the schema."""
        key = response_key_for(self.operation, rule.status)
        if key is None:
            documented = ", ".join(sorted(self.operation.responses))
            self.problem(where, f"{purpose} has status {rule.status}, which the operation does not document "
                                f"(documented: {documented})")
            return
        schema_pointer = response_schema(self.operation, key)
        if rule.body is not None and schema_pointer is not None:
            for inner, message in schema_errors(self.spec, schema_pointer, rule.body):
                self.problem(f"{where}/body{inner}" if where else where,
                             f"{purpose} does not match the schema of response {key}: {message}")

    # --- selection -------------------------------------------------------------------------------

    def owner(self, listed: IndexedCollection | None) -> OwnerRule | None:
        rule = self.binding.owner
        if rule is None:
            return None
        collection = self.collection(rule.collection, "/owner/collection")
        parameter = self.parameter(rule.param, "/owner/param")
        self.field(rule.link, "/owner/link", listed)
        missing = ErrorRule(rule.missing.status, rule.missing.body)
        self.error_rule(missing, f"the answer for a missing {rule.collection} record", "/owner/missing")
        if collection is None or parameter is None:
            return None
        return OwnerRule(collection, parameter.name, rule.link, missing)

    def predicates(self, sources: list[str], where: str, collection: IndexedCollection | None) -> Predicate:
        predicates = []
        for index, source in enumerate(sources):
            try:
                predicates.append(parse_predicate(source))
            except PredicateError as error:
                self.problem(f"{where}/{index}", str(error))
                continue
            self.field(str(predicate_field(source)), f"{where}/{index}", collection)
        return all_of(predicates)

    def filters(self, collection: IndexedCollection | None) -> dict[str, FilterFactory]:
        filters: dict[str, FilterFactory] = {}
        for name, rule in self.binding.filters.items():
            where = "/filters" + join_pointer(name)
            parameter = self.parameter(name, where)
            spec_name = name if parameter is None else parameter.name
            if rule.field is not None:
                self.field(rule.field, f"{where}/field", collection)
                filters[spec_name] = field_filter(rule.field, rule.op)
            elif rule.search is not None:
                for index, searched in enumerate(rule.search):
                    self.field(searched, f"{where}/search/{index}", collection)
                filters[spec_name] = search_filter(rule.search)
            else:
                predicate = self.predicates(rule.where or [], f"{where}/where", collection)
                filters[spec_name] = switch_filter(rule.when, predicate)
        return filters

    def page(self) -> PageRules | None:
        rules = self.binding.page
        if rules is None:
            return None
        cursor = self.parameter(rules.cursor_param, "/page/cursor_param", ("query", "header"))
        limit = self.parameter(rules.limit_param, "/page/limit_param", ("query", "header"))
        if cursor is None or limit is None:
            return None
        bounds = _integer_bounds(self.spec, limit.schema)
        minimum = rules.min_limit or max(bounds.get("minimum", 1), 1)
        maximum = rules.max_limit or bounds.get("maximum")
        default = rules.default_limit or bounds.get("default") or DEFAULT_LIMIT
        if maximum is not None and minimum > maximum:
            self.problem("/page", f"the smallest page ({minimum}) is larger than the largest ({maximum})")
            return None
        return PageRules(cursor.name, limit.name, default, minimum, maximum)

    # --- answers ---------------------------------------------------------------------------------

    def template(self) -> Template | None:
        template, errors = compile_template(self.binding.body)
        for error in errors:
            self.problem(f"/body{error.pointer}", error.message)
        if "$page" in template.uses and self.binding.page is None:
            self.problem("/body", "`$page` needs `page` settings")
        if "$owner" in template.uses and self.binding.owner is None:
            self.problem("/body", "`$owner` needs an `owner`")
        for name in sorted(template.params):
            self.parameter(name, "/body")
        return None if errors else template

    def hook(self) -> HookSetup | None:
        reference = self.binding.hook
        if reference is None:
            return None
        if self.compiler.hooks is None:
            self.problem("/hook", "hooks need a fixtures folder")
            return None
        try:
            function = self.compiler.hooks.load(reference)
        except HookLoadError as error:
            self.problem("/hook", str(error))
            return None
        return HookSetup(function, reference.partition(":")[2], self.operation,
                         _scoped(self.compiler.collections), _answer_check(self.spec, self.operation))

    def param_defaults(self) -> dict[str, Any]:
        return {p.name: p.schema["default"] for p in self.operation.parameters
                if isinstance(p.schema, dict) and "default" in p.schema}


def _answer_check(spec: Spec, operation: Operation) -> Callable[[int, Any], str | None]:
    """A check of a hook's answer: the status is documented and the body matches its schema."""

    def check(status: int, body: Any) -> str | None:
        key = response_key_for(operation, status)
        if key is None:
            return f"status {status} is not documented for {operation.key}"
        schema_pointer = response_schema(operation, key)
        errors = [] if schema_pointer is None else schema_errors(spec, schema_pointer, body)
        if not errors:
            return None
        where, message = errors[0]
        return f"the body does not match the schema of response {key} at {where or '/'}: {message}"

    return check


ScopedCollections = Callable[[Any], Mapping[str, Sequence[Record]]]


def _scoped(collections: Mapping[str, IndexedCollection]) -> ScopedCollections:
    def scoped(tenant: Any) -> Mapping[str, Sequence[Record]]:
        return {name: collection.visible_to(tenant) for name, collection in collections.items()}

    return scoped


def _samples(collection: IndexedCollection | None, owner: OwnerRule | None) -> list[Sample]:
    """Each record of the collection with its owner; an empty selection when there are no records."""
    if collection is None or not collection.records:
        owners = owner.collection.records if owner is not None else []
        first = owners[0] if owners else None
        key = first.get(owner.collection.key) if first is not None and owner is not None else "sample"
        return [Sample(None, None, first, key, None)]
    samples = []
    for record, source in zip(collection.records, collection.sources, strict=True):
        tenant = collection.tenant_of(record)
        owner_record: Record | None = None
        owner_key: Any = "sample"
        if owner is not None:
            owner_key = record.get(owner.link)
            owner_record = owner.collection.find(tenant, owner_key)
        samples.append(Sample(record, source, owner_record, owner_key, tenant))
    return samples


def _integer_bounds(spec: Spec, schema: Any) -> dict[str, int]:
    """`minimum`, `maximum` and `default` of an integer parameter schema (through `$ref` and `anyOf`)."""
    found: dict[str, int] = {}
    for node in _schema_nodes(spec, schema):
        for keyword, shift in (("minimum", 0), ("maximum", 0), ("default", 0),
                               ("exclusiveMinimum", 1), ("exclusiveMaximum", -1)):
            value = node.get(keyword)
            if isinstance(value, int) and not isinstance(value, bool):
                found.setdefault(keyword.replace("exclusiveM", "m"), value + shift)
    return found


def _schema_nodes(spec: Spec, schema: Any, depth: int = 0) -> list[dict[str, Any]]:
    """A schema and the schemas it refers to or combines (a few levels deep)."""
    if not isinstance(schema, dict) or depth > 8:
        return []
    nodes = [schema]
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        with contextlib.suppress(KeyError, IndexError, ValueError, TypeError):
            nodes += _schema_nodes(spec, spec.resolve_pointer(reference[1:]), depth + 1)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword) or []:
            nodes += _schema_nodes(spec, branch, depth + 1)
    return nodes
