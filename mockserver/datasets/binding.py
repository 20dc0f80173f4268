"""One operation answered from a collection: selecting, filtering, paging and rendering its records.

Everything that does not depend on the request is done once: each tenant's records are filtered by the
binding's `where`, sorted, grouped by owner and encoded to JSON. A request then only applies its own
filters, slices a page and splices the pre-encoded records into the body. Declarative answers are pure
functions of the request, so their encoded bodies are cached.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver.datasets.collections import EVERY_TENANT, IndexedCollection, Record
from mockserver.datasets.cursors import Cursor, decode_cursor, encode_cursor
from mockserver.datasets.hooks import Hook, HookRequest, HookResponse
from mockserver.datasets.predicates import Predicate, compare, field_getter, sort_key, text
from mockserver.datasets.templates import RenderValues, Template
from mockserver.fixture_files.checks import fixture_media_type, header_field_problem
from mockserver.fixture_files.values import plain
from mockserver.foundation.jsonbytes import json_bytes
from mockserver.http.answer import Answer, DocumentedAnswer, mock_error
from mockserver.http.negotiation import response_key_for
from mockserver.spec.model import Operation

logger = logging.getLogger("mockserver")

DEFAULT_LIMIT = 50
PAGE_CACHE_SIZE = 4096
WARNING_HEADER = "X-Mock-Warning"
SOURCE = "dataset"

# A request-time filter: given the parameter's value, a predicate (None: the filter does not apply).
FilterFactory = Callable[[Any], Predicate | None]


def field_filter(field_name: str, operator: str) -> FilterFactory:
    get = field_getter(field_name)

    def make(value: Any) -> Predicate | None:
        return lambda record: compare(get(record), operator, value)

    return make


def search_filter(fields: list[str]) -> FilterFactory:
    getters = [field_getter(name) for name in fields]

    def make(value: Any) -> Predicate | None:
        needle = text(value).lower()
        if not needle:
            return None

        def found(record: Record) -> bool:
            for get in getters:
                candidate = get(record)
                if candidate is not None and needle in text(candidate).lower():
                    return True
            return False

        return found

    return make


def switch_filter(when: Any, predicate: Predicate) -> FilterFactory:
    def make(value: Any) -> Predicate | None:
        return predicate if compare(value, "==", when) else None

    return make


@dataclass(frozen=True)
class PageRules:
    cursor_param: str
    limit_param: str
    default_limit: int
    min_limit: int
    max_limit: int | None

    def limit(self, value: Any) -> tuple[int, str]:
        """The page size to serve for the requested one, and a warning when it is not the one asked for
        (the mock keeps its pages within its bounds, and says so rather than pretend)."""
        asked = value if isinstance(value, int) and not isinstance(value, bool) else self.default_limit
        limit = max(asked, self.min_limit)
        if self.max_limit is not None:
            limit = min(limit, self.max_limit)
        if limit == asked:
            return limit, ""
        bound = "smallest" if asked < limit else "largest"
        return limit, (f"{self.limit_param}={asked} is outside the page sizes this mock serves; "
                       f"answered the {bound}, {limit}")


@dataclass(frozen=True)
class ErrorRule:
    """A configured error answer: its status and body (None: the spec's documented example)."""

    status: int
    body: Any = None


@dataclass(frozen=True)
class OwnerRule:
    collection: IndexedCollection
    param: str
    link: str
    missing: ErrorRule


@dataclass
class BindingRequest:
    """What a binding needs of one request: its operation, typed parameters by name, the tenant key, the
    scenario, and how to answer a status as the spec documents it."""

    operation: Operation
    params: Mapping[str, Any]
    tenant: Any
    scenario: str | None
    documented: DocumentedAnswer
    # The tenant's records as a session has changed them (stateful resources), instead of the collection's.
    records: Sequence[Record] | None = None


class RequestParams(Mapping[str, Any]):
    """A request's typed parameters by their spec names, valued as records hold them.

    Path parameters win over query parameters, which win over headers. Values are converted when read,
    so a binding pays only for the parameters it looks at.
    """

    __slots__ = ("_values",)

    def __init__(self, path: Mapping[str, Any], query: Mapping[str, Any], headers: Mapping[str, Any]) -> None:
        self._values = {**headers, **query, **path}

    def __getitem__(self, name: str) -> Any:
        return plain(self._values[name])

    def get(self, name: str, default: Any = None) -> Any:
        value = self._values.get(name, _ABSENT)
        if value is _ABSENT:
            return default
        return value if type(value) in _SCALARS else plain(value)

    def typed(self, names: Sequence[str]) -> tuple[Any, ...]:
        """The values of `names` (None when absent) as validation typed them, not converted."""
        return tuple(map(self._values.get, names))

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


_ABSENT = object()


@dataclass
class _TenantView:
    """One tenant's records for one binding: after `where`, in order, encoded, grouped by owner."""

    records: list[Record]
    encoded: list[bytes]
    by_owner: dict[str, list[int]]


_EMPTY_VIEW = _TenantView([], [], {})
_SCALARS = frozenset({str, int, float, bool, type(None)})


@dataclass
class HookSetup:
    """A binding's hook and what it needs around it."""

    function: Hook
    name: str
    operation: Any  # the spec Operation handed to the hook
    collections_for: Callable[[Any], Mapping[str, Sequence[Record]]]  # tenant key -> scoped collections
    check: Callable[[int, Any], str | None]  # (status, body) -> why it breaks the spec, or None


@dataclass
class CompiledBinding:
    operation_key: str
    status: int
    response_key: str
    media_type: str
    collection: IndexedCollection | None
    where: Predicate
    filters: dict[str, FilterFactory]
    order_by: list[str]
    owner: OwnerRule | None
    page: PageRules | None
    template: Template | None
    hook: HookSetup | None = None
    _views: dict[Any, _TenantView] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[Any, ...], Answer] = field(default_factory=dict, repr=False)
    _cache_params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = set(self.filters) | (self.template.params if self.template else set())
        if self.page is not None:
            names |= {self.page.cursor_param, self.page.limit_param}
        if self.owner is not None:
            names.add(self.owner.param)
        self._cache_params = tuple(sorted(names))
        if self.collection is not None:
            for tenant in (EVERY_TENANT, *self.collection.tenants):
                self._views[tenant] = self._view(self.collection.visible_to(tenant))

    def _view(self, visible: Sequence[Record]) -> _TenantView:
        assert self.collection is not None
        order = sort_key([*self.order_by, self.collection.key])
        ordered = sorted((record for record in visible if self.where(record)), key=order)
        by_owner: dict[str, list[int]] = {}
        if self.owner is not None:
            link = field_getter(self.owner.link)
            for position, record in enumerate(ordered):
                by_owner.setdefault(text(link(record)), []).append(position)
        return _TenantView(ordered, [json_bytes(record) for record in ordered], by_owner)

    def respond(self, request: BindingRequest) -> Answer | None:
        """The answer to one request, or None when a hook lets the next source answer."""
        owner = None
        if self.owner is not None:
            owner_key = request.params.get(self.owner.param)
            owner = None if owner_key is None else self.owner.collection.find(request.tenant, owner_key)
            if owner is None:
                missing = self.owner.missing
                return request.documented(request.operation, missing.status, SOURCE, missing.body)
        if self.hook is not None:
            return self._hook_answer(self.hook, request, owner)
        if request.records is not None:  # changed by a session: rendered afresh, never cached
            return self._render(request, owner, self._view(request.records))
        params, names = request.params, self._cache_params
        values = params.typed(names) if isinstance(params, RequestParams) else tuple(map(params.get, names))
        cache_key = (request.tenant, values)
        try:
            reply = self._cache.get(cache_key)
        except TypeError:  # an array or object parameter
            cache_key = (request.tenant, tuple(map(_hashable, values)))
            reply = self._cache.get(cache_key)
        if reply is None:
            reply = self._render(request, owner, self._views.get(request.tenant, _EMPTY_VIEW))
            if len(self._cache) >= PAGE_CACHE_SIZE:
                self._cache.clear()
            self._cache[cache_key] = reply
        return reply.copy()

    def _positions(self, view: _TenantView, owner: Record | None, params: Mapping[str, Any]) -> Sequence[int]:
        positions: Sequence[int]
        if owner is not None and self.owner is not None:
            positions = view.by_owner.get(text(params.get(self.owner.param)), [])
        else:
            positions = range(len(view.records))
        for name, make_filter in self.filters.items():
            value = params.get(name)
            predicate = None if value is None else make_filter(value)
            if predicate is not None:
                positions = [p for p in positions if predicate(view.records[p])]
        return positions

    def _render(self, request: BindingRequest, owner: Record | None, view: _TenantView) -> Answer:
        assert self.template is not None
        positions = self._positions(view, owner, request.params)
        headers: dict[str, str] = {}
        page_values: dict[str, Any] = {}
        shown: Sequence[int] = positions
        if self.page is not None:
            shown, page_values, warning = self._page(self.page, positions, request.params)
            if warning:
                headers[WARNING_HEADER] = warning
        selected = [view.records[p] for p in positions] if self.template.uses & {"$sum", "$count"} else ()
        answered = orjson.Fragment(b"[" + b",".join([view.encoded[p] for p in shown]) + b"]")
        page_values["items"] = answered
        body = self.template.render(RenderValues(
            selected=selected, answered=answered, page=page_values, params=request.params, owner=owner,
            tenant=None if request.tenant is EVERY_TENANT else request.tenant,
        ))
        return Answer(self.status, json_bytes(body), self.media_type, SOURCE, headers,
                      response_key=self.response_key)

    @staticmethod
    def _page(rules: PageRules, positions: Sequence[int],
              params: Mapping[str, Any]) -> tuple[Sequence[int], dict[str, Any], str]:
        limit, warning = rules.limit(params.get(rules.limit_param))
        raw_cursor = params.get(rules.cursor_param)
        cursor = decode_cursor(raw_cursor) if isinstance(raw_cursor, str) and raw_cursor else None
        if raw_cursor and cursor is None:
            unknown = f"{rules.cursor_param} is not a cursor this mock issued; answered the first page"
            warning = f"{warning}; {unknown}" if warning else unknown
        count = len(positions)
        if cursor is None:
            start, end = 0, min(limit, count)
        elif cursor.forward:
            start = bisect.bisect_right(positions, cursor.position)
            end = min(start + limit, count)
        else:
            end = bisect.bisect_left(positions, cursor.position)
            start = max(0, end - limit)
        has_prev, has_next = start > 0, end < count
        next_after = positions[end - 1] if end > 0 else -1
        prev_before = positions[start] if start < count else (positions[-1] + 1 if count else 0)
        values = {
            "total": count, "limit": limit, "count": end - start, "has_next": has_next, "has_prev": has_prev,
            "next_cursor": encode_cursor(Cursor(next_after, True)) if has_next else None,
            "prev_cursor": encode_cursor(Cursor(prev_before, False)) if has_prev else None,
        }
        return positions[start:end], values, warning

    def _hook_answer(self, hook: HookSetup, request: BindingRequest, owner: Record | None) -> Answer | None:
        records: Sequence[Record] = ()
        if self.collection is not None:
            view = self._views.get(request.tenant, _EMPTY_VIEW) if request.records is None \
                else self._view(request.records)
            records = [view.records[p] for p in self._positions(view, owner, request.params)]
        hook_request = HookRequest(
            operation=hook.operation, params=request.params,
            tenant=None if request.tenant is EVERY_TENANT else request.tenant,
            scenario=request.scenario, records=records, owner=owner,
            collections=hook.collections_for(request.tenant),
        )
        source = f"hook:{hook.name}"
        try:
            result = hook.function(hook_request)
        # A hook is user code: what it raises becomes the mock's own error answer, never a crash.
        except Exception as exc:
            logger.exception("fixture hook %s failed", hook.name)
            return mock_error(500, f"hook {hook.name} raised {type(exc).__name__}: {exc}", source=source)
        if result is None:
            return None
        response = result if isinstance(result, HookResponse) else HookResponse(body=result)
        status = response.status or self.status
        problem = hook.check(status, response.body) or _header_problem(response.headers)
        if problem is not None:
            return mock_error(500, f"hook {hook.name}: {problem}", source=source)
        if status == self.status:
            return Answer(status, response.body, self.media_type, source, dict(response.headers),
                          response_key=self.response_key)
        operation = hook.operation
        key = response_key_for(operation, status)
        media_type = None if key is None else fixture_media_type(operation, key, None)
        return Answer(status, response.body, media_type, source, dict(response.headers), response_key=key)


def _header_problem(headers: Mapping[str, Any]) -> str | None:
    """Why a hook's headers cannot be sent (a line break in a value, a framing header...), or None."""
    for name, value in headers.items():
        problem = header_field_problem(str(name), str(value))
        if problem is not None:
            return problem
    return None


def _hashable(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value
