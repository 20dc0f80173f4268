"""Stateful answers: writes change what later reads return, per session, for the resources of the spec.

For an operation of an inferred resource (`mockserver.resources.inference`), and only for its success
status (not with `Prefer: code=` naming another, `Prefer: example=` or `Prefer: dynamic=true`):

- POST on the collection creates a record from the (validated) body: read-only fields generated, ids
  unique and of the id's type, created/updated timestamps now; answered with the documented success
  status and body, and `Location` when the response documents it;
- GET on an item answers the record as the response schema has it; GET on the collection lists the
  initial records with the session's changes, filtered by query parameters named like fields and paged
  by the declared limit/offset/page/cursor parameters;
- PUT replaces, PATCH merges (JSON Merge Patch, or JSON Patch for `application/json-patch+json`), DELETE
  removes; a deleted record then answers the documented 404 (the mock's own 404, marked, without one).

An id that was never created nor listed is answered as before (a generated record) unless `strict_ids`.
State belongs to the session the `X-Mock-Session` header names (else the default one) and lives in a
`RecordStore`; this module only overlays the store's changes on the initial records.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mockserver.answers.context import AnswerContext
from mockserver.answers.fixture_sets import FixtureSets
from mockserver.answers.initial_records import Bound, InitialRecords, fill_parents
from mockserver.answers.record_bodies import RecordBodies
from mockserver.answers.spec_answers import SpecAnswers
from mockserver.datasets.binding import RequestParams
from mockserver.foundation.config import MockConfig
from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.http.answer import Answer, mock_error
from mockserver.http.negotiation import (
    choose_media_type,
    choose_response,
    default_response_key,
    is_json,
    response_key_for,
)
from mockserver.resources.inference import (
    JSON_PATCH,
    WRITES,
    Inference,
    Resource,
    Role,
    Slot,
    json_media,
    list_slot,
    record_slot,
)
from mockserver.resources.records import (
    EqualityFilter,
    Paging,
    PatchError,
    equality_filters,
    id_text,
    json_patch,
    merge_patch,
    numbered_id,
    plain_value,
    stamp,
)
from mockserver.resources.schemas import at_pointer_or_empty
from mockserver.resources.store import DEFAULT_SESSION, MISSING, Changes, Missing, Record, RecordStore, Scope
from mockserver.spec.model import MediaType, Operation, Spec

logger = logging.getLogger("mockserver")

SOURCE = "stateful"
SESSION_HEADER = "x-mock-session"
MAX_SESSION_NAME = 200
WARNING_HEADER = "X-Mock-Warning"
REJECTION_STATUSES = (409, 422, 400)  # a patch that cannot apply to the record as it is: a conflict first
_NEW_ID_ATTEMPTS = 64
_PARAMETER = re.compile(r"\{([^{}]+)\}")


@dataclass
class _Request:
    """One request to a resource operation, with what every step needs of it."""

    ctx: AnswerContext
    resource: Resource
    session: str
    scope: Scope
    parents: dict[str, Any]  # the collection path's parameters, typed
    key: str  # the documented response answering it
    status: int
    bound: Bound | None
    tenant_value: str | None

    @property
    def operation(self) -> Operation:
        return self.ctx.operation


@dataclass(frozen=True)
class _ListPlan:
    paging: Paging
    filters: tuple[EqualityFilter, ...]


class StatefulAnswers:
    """The source answering the resources' operations from each session's records."""

    def __init__(self, spec: Spec, inference: Inference, store: RecordStore, spec_answers: SpecAnswers,
                 generator: ResponseGenerator, sets: FixtureSets | None, config: MockConfig, *,
                 strict_ids: bool = False) -> None:
        self.spec = spec
        self.inference = inference
        self.store = store
        self.spec_answers = spec_answers
        self.generator = generator
        self.strict_ids = strict_ids
        self.tenant_header = config.tenant_header
        self.tenant_field = config.tenant_field
        self.bodies = RecordBodies(spec, generator)
        self.initial = InitialRecords(generator, sets, config.tenant_field)
        self._roles = inference.roles()
        self._list_plans: dict[str, _ListPlan] = {}
        self._slots: dict[tuple[str, str | None, bool], Slot | None] = {}
        self._examples: dict[str, list[Record] | None] = {}  # by resource: see _example_records
        self._served_examples: dict[tuple[str, str, str], Any] = {}  # see _example
        self._handlers = {Role.LIST: self._list, Role.CREATE: self._create, Role.GET: self._get,
                          Role.REPLACE: self._replace, Role.UPDATE: self._update, Role.DELETE: self._delete}

    @property
    def impure_operations(self) -> frozenset[str]:
        """Writes: never remembered (reads are remembered by the session's version, see the app)."""
        return frozenset(key for key, (_, role) in self._roles.items() if role in WRITES)

    def answer(self, ctx: AnswerContext) -> Answer | None:
        found = self._roles.get(ctx.operation.key)
        if found is None:
            return None
        preferences = ctx.preferences
        if preferences.dynamic is True or preferences.example is not None:
            return None
        key, status = choose_response(ctx.operation, preferences)
        if key is None or not 200 <= status < 300:
            return None
        session = ctx.headers.get(SESSION_HEADER) or DEFAULT_SESSION
        if len(session) > MAX_SESSION_NAME or not session.isprintable():
            return mock_error(400, f"{SESSION_HEADER} must be printable text of at most {MAX_SESSION_NAME} "
                                   "characters", source=SOURCE)
        resource, role = found
        tenant_value = ctx.headers.get(self.tenant_header) if self.tenant_header else None
        bound, known = self.initial.bound(resource, ctx.scenario, tenant_value)
        if not known:
            return None  # a tenant the dataset does not know: its answer for unknown tenants
        parents = {name: ctx.request.path.get(name) for name in resource.parent_params}
        tenant = id_text(tenant_value.strip()) if tenant_value else ""
        scope = (tenant, *(id_text(value) for value in parents.values()))
        request = _Request(ctx, resource, session, scope, parents, key, status, bound, tenant_value)
        if resource.parent is not None and self._parent_gone(request, resource.parent, tenant):
            return self._not_found(request, "/".join(scope[1:]))
        return self._handlers[role](request)

    def _parent_gone(self, req: _Request, parent: Resource, tenant: str) -> bool:
        """Whether the record the collection belongs to (or one above it) was deleted in the session (or,
        with strict ids, never existed): then its nested records are gone too."""
        path = req.ctx.request.path
        for above in _ancestors(parent):
            if above.id_param is None:
                continue
            scope = (tenant, *(id_text(path.get(name)) for name in above.parent_params))
            id_key = id_text(path.get(above.id_param))
            change = self.store.get(req.session, above.name, scope, id_key)
            if change is None:
                return True
            if self.strict_ids and change is MISSING:
                parents = {name: path.get(name) for name in above.parent_params}
                bound, _ = self.initial.bound(above, req.ctx.scenario, req.tenant_value)
                initial = self.initial.records(above, scope, parents, bound, self._example_records(above))
                if id_key not in initial:
                    return True
        return False

    def session_state(self, session: str) -> dict[str, Any]:
        """A session's records per resource (the admin API's view): its changes in each scope, and the
        whole list of a collection that no parent or tenant scopes."""
        snapshot = self.store.snapshot(session)
        resources: dict[str, Any] = {}
        for resource in self.inference.resources:
            scopes = snapshot.get(resource.name, {})
            changes = [{"tenant": scope[0] or None,
                        "parents": dict(zip(resource.parent_params, scope[1:], strict=True)),
                        "records": [record for record in records.values() if record is not None],
                        "deleted": [id_key for id_key, record in records.items() if record is None]}
                       for scope, records in scopes.items()]
            entry: dict[str, Any] = {"item": resource.item, "id_field": resource.id_field, "changes": changes}
            if not resource.parent_params and self.tenant_header is None:
                bound, _ = self.initial.bound(resource, None, None)
                initial = self.initial.records(resource, ("",), {}, bound, self._example_records(resource))
                entry["records"] = overlay(initial, scopes.get(("",), {}))
            resources[resource.name] = entry
        return {"session": session, "version": self.store.version(session), "resources": resources}

    # -- reads ---------------------------------------------------------------------------------

    def _list(self, req: _Request) -> Answer | None:
        changes = self.store.changes(req.session, req.resource.name, req.scope)
        if not changes and (req.bound is not None or self._example_records(req.resource) is not None):
            return None  # unchanged, from the dataset or the spec's example: answered as it always was
        if req.bound is not None:
            return self._bound_list(req, self._current(req, changes))
        query = req.ctx.request.query
        plan = self._list_plan(req)
        selected = [record for record in self._current(req, changes)
                    if all(rule.keeps(record, query[rule.parameter]) for rule in plan.filters
                           if query.get(rule.parameter) is not None)]
        media = self._json_media(req)
        if media is None or media.schema_pointer is None:
            return None
        slot = self._slot(media.schema_pointer, _list_field(req.resource), listed=True)
        if slot is None:
            return None
        window = plan.paging.window(query, len(selected), _max_items(self.spec.document, slot))
        items = [shown for record in selected[window.start:window.end]
                 if (shown := self._shown(req, record, slot.pointer)) is not None]
        body: Any = items
        if slot.path:
            envelope = self.bodies.place(self._base(req, media, slot.path), slot, items)
            page = query.get(plan.paging.page.name) if plan.paging.page is not None else None
            body = self.bodies.paginated(envelope, media.schema_pointer, window, page)
        if not self.bodies.is_valid(body, media.schema_pointer):
            logger.warning("%s: the list of %s does not fit the response schema; answering as before",
                           req.operation.key, req.resource.name)
            return None
        headers = self._headers(req, None)
        if window.warning:
            headers[WARNING_HEADER] = window.warning
        return Answer(req.status, body, media.media_type, SOURCE, headers, response_key=req.key)

    def _bound_list(self, req: _Request, records: list[Record]) -> Answer | None:
        assert req.bound is not None
        request = req.ctx.request
        params = RequestParams(request.path, request.query, request.headers)
        pointer = req.resource.record.pointer
        shown = [self.bodies.visible(record, pointer) for record in records]  # no write-only field
        answer = req.bound.dataset.respond(req.operation, params, req.tenant_value, req.ctx.scenario,
                                           self.spec_answers.documented, records=shown)
        if answer is not None:
            answer.source = SOURCE
        return answer

    def _get(self, req: _Request) -> Answer | None:
        id_key = self._id_key(req)
        change = self.store.get(req.session, req.resource.name, req.scope, id_key)
        bound_item = req.bound is not None and req.bound.binding.operation_key == req.operation.key
        if change is MISSING and bound_item:
            return None  # a bound item the session did not change: the dataset answers it
        record = change if change is not MISSING else self._initial(req).get(id_key, MISSING)
        if change is MISSING and record is not MISSING and self._has_example(req):
            return None  # a record the session did not change, whose answer the spec exemplifies
        if isinstance(record, Missing):
            return self._not_found(req, id_key) if self.strict_ids else None
        if record is None:
            return self._not_found(req, id_key)
        return self._record_answer(req, record)

    # -- writes --------------------------------------------------------------------------------

    def _create(self, req: _Request) -> Answer | None:
        body = req.ctx.request.body
        if not isinstance(body, dict):
            return None
        resource = req.resource
        record = self._writable(resource, body)
        chosen = record.get(resource.id_field)  # an id the client may choose (the field is not read-only)
        if isinstance(chosen, dict | list) or isinstance(self._find(req, id_text(chosen)), dict):
            if chosen is not None and response_key_for(req.operation, 409) is not None:
                return self.spec_answers.documented(req.operation, 409, SOURCE)  # taken: a conflict
            chosen = None  # the server's own id, when the spec documents no conflict
        record[resource.id_field] = chosen if chosen is not None else self._new_id(req)
        self._fill(req, record, created=True)
        self.store.put(req.session, resource.name, req.scope, id_text(record[resource.id_field]), record)
        return self._record_answer(req, record)

    def _replace(self, req: _Request) -> Answer | None:
        id_key = self._id_key(req)
        current = self._find(req, id_key)
        if current is None or (isinstance(current, Missing) and self.strict_ids):
            return self._not_found(req, id_key)
        body = req.ctx.request.body
        if not isinstance(body, dict):
            return None
        resource = req.resource
        old = current if isinstance(current, dict) else {}
        record = self._writable(resource, body)
        for name in resource.record.read_only:
            if name in old:
                record[name] = old[name]
        record[resource.id_field] = old.get(resource.id_field, self._path_id(req))
        self._fill(req, record, created=not old)
        self.store.put(req.session, resource.name, req.scope, id_key, record)
        return self._record_answer(req, record)

    def _update(self, req: _Request) -> Answer | None:
        id_key = self._id_key(req)
        found = self._find(req, id_key)
        if found is None or (isinstance(found, Missing) and self.strict_ids):
            return self._not_found(req, id_key)
        current = found if isinstance(found, dict) else self._virtual(req)
        if current is None:
            return None
        resource = req.resource
        body = req.ctx.request.body
        if req.ctx.request.media_type == JSON_PATCH:
            try:
                result = json_patch(current, body)
            except PatchError as error:
                return self._rejected(req, f"the JSON Patch cannot be applied: {error}")
        elif isinstance(body, dict):
            patch = {name: value for name, value in body.items() if name not in resource.record.read_only}
            result = self._kept_valid(resource, current, merge_patch(current, patch), patch)
        else:
            return None
        if not isinstance(result, dict):
            return self._rejected(req, "the patch does not leave an object")
        for name in resource.record.read_only:
            if name in current:
                result[name] = current[name]
            else:
                result.pop(name, None)
        result[resource.id_field] = current.get(resource.id_field, self._path_id(req))
        stamp(result, resource.record, _now(), created=False)
        problems = self._new_problems(resource, current, result)
        if problems:
            return self._rejected(req, f"the patched record is not valid: {problems[0]}")
        self.store.put(req.session, resource.name, req.scope, id_key, result)
        return self._record_answer(req, result)

    def _delete(self, req: _Request) -> Answer | None:
        id_key = self._id_key(req)
        current = self._find(req, id_key)
        if current is None or (isinstance(current, Missing) and self.strict_ids):
            return self._not_found(req, id_key)
        self.store.put(req.session, req.resource.name, req.scope, id_key, None)
        if isinstance(current, dict):
            return self._record_answer(req, current)
        return self._spec_answer(req)

    # -- records -------------------------------------------------------------------------------

    def _initial(self, req: _Request) -> Mapping[str, Record]:
        examples = self._example_records(req.resource)
        return self.initial.records(req.resource, req.scope, req.parents, req.bound, examples)

    def _example_records(self, resource: Resource) -> list[Record] | None:
        """The records of the example the spec gives for the list answer (None without one)."""
        if resource.name not in self._examples:
            found = None
            operation = resource.operations.get(Role.LIST)
            key = default_response_key(operation) if operation is not None else None
            media = json_media(operation, key) if operation is not None else None
            if operation is not None and media is not None and resource.list_slot is not None:
                listed = _at(self._example(operation, media), resource.list_slot.path)
                if isinstance(listed, list) and listed and all(
                        isinstance(one, dict) and one.get(resource.id_field) is not None for one in listed):
                    found = listed
            self._examples[resource.name] = found
        return self._examples[resource.name]

    def _example(self, operation: Operation, media: MediaType) -> Any:
        """The example the spec answers would serve for this media type (its first valid one), or None."""
        if self.spec_answers.always_generate or not media.examples or media.schema_pointer is None:
            return None
        key = (operation.key, media.media_type, media.schema_pointer)
        if key not in self._served_examples:
            validator = self.spec.validator(media.schema_pointer)
            valid = (value for value in media.examples.values() if validator.is_valid(value))
            self._served_examples[key] = next(valid, None)
        return self._served_examples[key]

    def _has_example(self, req: _Request) -> bool:
        media = self._json_media(req)
        return media is not None and self._example(req.operation, media) is not None

    def _find(self, req: _Request, id_key: str) -> Record | Missing | None:
        """The record as the session has it: changed, initial, or MISSING (never created nor listed)."""
        change = self.store.get(req.session, req.resource.name, req.scope, id_key)
        if change is not MISSING:
            return change
        return self._initial(req).get(id_key, MISSING)

    def _current(self, req: _Request, changes: Changes) -> list[Record]:
        return overlay(self._initial(req), changes)

    def _virtual(self, req: _Request) -> Record | None:
        """The record a GET of an id never created answers (a generated one), to be patched."""
        resource = req.resource
        get = resource.operations.get(Role.GET)
        generation = req.ctx.generation
        if get is not None:
            key = default_response_key(get)
            media = json_media(get, key)
            if key is not None and media is not None and media.schema_pointer is not None:
                context = RequestContext(generation.path, {}, generation.headers)
                body = self.generator.generate(get, key, media.media_type, context)
                slot = self._slot(media.schema_pointer)
                record = _at(body, slot.path) if slot is not None else None
                if isinstance(record, dict):
                    return dict(record)
        drawn = self.generator.generate_for_pointer(resource.record.pointer, key=f"virtual|{req.scope}|"
                                                    f"{self._id_key(req)}")
        if not isinstance(drawn, dict):
            return None
        return {**drawn, resource.id_field: self._path_id(req)}

    def _writable(self, resource: Resource, body: dict[str, Any]) -> Record:
        """The body's fields but the read-only ones (the server sets those)."""
        read_only = resource.record.read_only
        return {name: value for name, value in body.items() if name not in read_only}

    def _fill(self, req: _Request, record: Record, *, created: bool) -> None:
        """Parents, tenant and timestamps set; read-only and required fields the record lacks generated,
        fields with a default given it."""
        resource = req.resource
        link = req.bound.binding.owner.link if req.bound is not None and req.bound.binding.owner else None
        fill_parents(record, resource, req.parents, req.scope[0], self.tenant_field, link)
        stamp(record, resource.record, _now(), created=created)
        base: Any = None
        for name, prop in resource.record.properties.items():
            if name in record:
                continue
            if prop.read_only or name in resource.record.required:
                if base is None:
                    key = f"new|{req.session}|{id_text(record[resource.id_field])}"
                    base = self.generator.generate_for_pointer(resource.record.pointer, key=key)
                if isinstance(base, dict) and name in base:
                    record[name] = base[name]
            elif "default" in prop.schema:
                record[name] = prop.schema["default"]

    def _new_id(self, req: _Request) -> Any:
        """An id no record of the collection has, of the id's type: the next integer, a UUID, or generated."""
        resource = req.resource
        initial = self._initial(req)
        salt = f"{self.generator.seed}|{req.session}|{resource.name}|{'|'.join(req.scope)}"
        for _ in range(_NEW_ID_ATTEMPTS):
            number = self.store.next_number(req.session, resource.name, req.scope)
            candidate = numbered_id(resource.id_schema, number + len(initial), salt)
            if candidate is None and resource.id_pointer is not None:
                key = f"id|{salt}|{number}"
                candidate = self.generator.generate_for_pointer(resource.id_pointer, key=key)
            if candidate is None or isinstance(candidate, dict | list):
                candidate = str(uuid.uuid4())
            id_key = id_text(candidate)
            taken = id_key in initial or \
                self.store.get(req.session, resource.name, req.scope, id_key) is not MISSING
            if not taken:
                return candidate
        return str(uuid.uuid4())

    def _kept_valid(self, resource: Resource, before: Record, after: Record, patch: dict[str, Any]) -> Record:
        """A merged record whose patched fields that broke it keep their old values (`{"email": null}` on a
        record that requires an email leaves the email as it was)."""
        for name in patch:
            problems = self._new_problems(resource, before, after)
            if not problems:
                break
            reverted = {**after, name: before[name]} if name in before else \
                {key: value for key, value in after.items() if key != name}
            if len(self._new_problems(resource, before, reverted)) < len(problems):
                after = reverted
        return after

    def _new_problems(self, resource: Resource, before: Record, after: Record) -> list[str]:
        """The schema violations a change brought into the record (those it already had do not count)."""
        validator = self.spec.validator(resource.record.pointer)
        known = {error.message for error in validator.iter_errors(before)}
        return [error.message for error in validator.iter_errors(after) if error.message not in known]

    def _id_key(self, req: _Request) -> str:
        id_param = req.resource.id_param
        return id_text(req.ctx.request.path.get(id_param)) if id_param is not None else ""

    def _path_id(self, req: _Request) -> Any:
        id_param = req.resource.id_param
        value = req.ctx.request.path.get(id_param) if id_param is not None else None
        return plain_value(value, req.resource.id_schema)

    def _shown(self, req: _Request, record: Record, pointer: str) -> Record | None:
        return self.bodies.shaped(record, pointer, lambda: self._record_key(req, record))

    def _record_key(self, req: _Request, record: Record) -> str:
        """What a record's generated stand-in fields are drawn by (the same record, the same fields)."""
        record_id = id_text(record.get(req.resource.id_field))
        return f"record|{req.resource.name}|{'|'.join(req.scope)}|{record_id}"

    # -- answers -------------------------------------------------------------------------------

    def _json_media(self, req: _Request) -> MediaType | None:
        """The media type the client gets (negotiated), when it is JSON with a schema."""
        media = choose_media_type(req.operation.responses[req.key], req.ctx.accept)
        if media is None or not is_json(media.media_type) or media.schema_pointer is None:
            return None
        return media

    def _record_answer(self, req: _Request, record: Record) -> Answer | None:
        response = req.operation.responses[req.key]
        headers = self._headers(req, record)
        if not response.content:
            return Answer(req.status, None, None, SOURCE, headers, response_key=req.key)
        media = self._json_media(req)
        if media is None or media.schema_pointer is None:
            return None  # another media type negotiated: the spec answers it
        slot = self._slot(media.schema_pointer)
        view = self.bodies.view(slot.pointer) if slot is not None else None
        if slot is None or view is None or req.resource.id_field not in view.properties:
            return self._spec_answer(req, headers)  # the answer is not the record (`{"deleted": true}`)
        shown = self._shown(req, record, slot.pointer)
        if shown is None:
            return self._spec_answer(req, headers)
        body = self.bodies.place(self._base(req, media) if slot.path else None, slot, shown)
        if not self.bodies.is_valid(body, media.schema_pointer):
            return self._spec_answer(req, headers)
        return Answer(req.status, body, media.media_type, SOURCE, headers, response_key=req.key)

    def _spec_answer(self, req: _Request, headers: dict[str, str] | None = None) -> Answer:
        """The documented answer for the request's status (its example, or a generated body)."""
        response = req.operation.responses[req.key]
        media = choose_media_type(response, req.ctx.accept)
        answer = self.spec_answers.answer_for(req.operation, req.key, req.status, media, req.ctx.generation)
        answer.source = SOURCE
        answer.headers.update(headers if headers is not None else self._headers(req, None))
        return answer

    def _base(self, req: _Request, media: MediaType, items_at: tuple[str, ...] | None = None) -> Any:
        """The body records are put into: the spec's example, else a generated one (with as few items as
        it may have at `items_at`, where the records go)."""
        example = self._example(req.operation, media)
        if example is not None:
            return example
        return self.generator.generate(req.operation, req.key, media.media_type, req.ctx.generation,
                                       fewest_items_at=items_at)

    def _headers(self, req: _Request, record: Record | None) -> dict[str, str]:
        """The response's required headers, and `Location` (the record's URL) when it documents one."""
        response = req.operation.responses[req.key]
        headers = self.spec_answers.required_headers(req.operation, response, req.ctx.generation)
        if record is None:
            return headers
        for name, header in response.headers.items():
            if name.lower() == "location":
                location = self._location(req, record, header.schema.get("format") == "uri")
                if location is not None:
                    headers = {key: value for key, value in headers.items() if key.lower() != "location"}
                    headers[name] = location
        return headers

    def _location(self, req: _Request, record: Record, absolute: bool) -> str | None:
        resource = req.resource
        if resource.item is None or resource.id_param is None:
            return None
        values = {name: id_text(value) for name, value in req.parents.items()}
        values[resource.id_param] = id_text(record.get(resource.id_field))
        path = _PARAMETER.sub(lambda found: quote(values.get(found.group(1), found.group(0)), safe=""),
                              resource.item)
        path = req.operation.base_path + path
        return f"http://{req.ctx.headers.get('host', 'localhost')}{path}" if absolute else path

    def _not_found(self, req: _Request, id_key: str) -> Answer:
        """The documented 404, else the mock's own (marked with X-Mock-Error)."""
        if response_key_for(req.operation, 404) is not None:
            return self.spec_answers.documented(req.operation, 404, SOURCE)
        return mock_error(404, f"{req.resource.name}: no record {id_key!r} in session {req.session!r}",
                          source=SOURCE)

    def _rejected(self, req: _Request, message: str) -> Answer:
        """The documented 409 (else 422, else 400) for a patch that cannot apply, else the mock's own."""
        for status in REJECTION_STATUSES:
            if response_key_for(req.operation, status) is not None:
                return self.spec_answers.documented(req.operation, status, SOURCE)
        return mock_error(409, message, source=SOURCE)

    def _slot(self, pointer: str, list_field: str | None = None, *, listed: bool = False) -> Slot | None:
        """Where records sit in the body whose schema is at `pointer` (read once per schema)."""
        key = (pointer, list_field, listed)
        if key not in self._slots:
            document = self.spec.document
            found = list_slot(document, pointer, list_field) if listed else record_slot(document, pointer)
            self._slots[key] = found
        return self._slots[key]

    def _list_plan(self, req: _Request) -> _ListPlan:
        plan = self._list_plans.get(req.operation.key)
        if plan is None:
            paging = Paging.of(req.operation)
            plan = _ListPlan(paging, equality_filters(req.operation, req.resource.record, paging))
            self._list_plans[req.operation.key] = plan
        return plan


def overlay(initial: Mapping[str, Record], changes: Changes) -> list[Record]:
    """A collection as a session has it: the initial records (as changed, deleted ones left out), then
    the records it created, oldest first."""
    records = []
    for id_key, record in initial.items():
        change = changes.get(id_key, MISSING)
        if isinstance(change, Missing):
            records.append(record)
        elif change is not None:
            records.append(change)
    records += [change for id_key, change in changes.items() if change is not None and id_key not in initial]
    return records


def _ancestors(resource: Resource | None) -> list[Resource]:
    found = []
    while resource is not None and resource not in found:
        found.append(resource)
        resource = resource.parent
    return found


def _list_field(resource: Resource) -> str | None:
    slot = resource.list_slot
    return slot.path[0] if slot is not None and slot.path else None


def _max_items(document: Any, slot: Slot) -> int | None:
    array_pointer = slot.pointer.rsplit("/", 1)[0]
    node = at_pointer_or_empty(document, array_pointer)
    found = node.get("maxItems") if isinstance(node, dict) else None
    return found if isinstance(found, int) else None


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        body = body.get(name) if isinstance(body, dict) else None
    return body


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
