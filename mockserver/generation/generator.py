"""`ResponseGenerator`: realistic, deterministic, rule-abiding bodies for any response schema of a spec.

For one documented response the pipeline is:

1. shape the schema (`shaping`): standalone, write-only properties gone, narrowed to realistic values;
2. canonicalize it with jsonschema_rs and compile it into a fast plan (`plans`), with hypothesis
   (`strategies`) behind every node the plan does not model;
3. draw from a `random.Random` seeded by a stable hash of the request key (`keys`), with the page size
   and the echoed path parameters pinned (`agreement`);
4. validate against the response view of the schema; a rare invalid draw is retried, then left to
   hypothesis on the shaped schema, then to hypothesis on the exact schema;
5. apply the spec owner's domain rules (`mockserver.generation.rules`) and validate again
   (a rule that breaks the schema is reported by name);
6. cache the body, as JSON text, under its request key (bounded LRU).

An error body (a status of 400 or more) says its status where it has an integer `status` or `code`
field (`statuses`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any

import jsonschema_rs
import orjson
from jsonschema_rs.canonical import Satisfiability, find_unsatisfiable

from mockserver.foundation.bounded import BoundedCache
from mockserver.generation.agreement import Agreement, agreement_for
from mockserver.generation.cache import BodyCache, Frozen, freeze, thaw
from mockserver.generation.draws import DrawState, Override, PlanOptions, with_fewest_items
from mockserver.generation.errors import GenerationError, RetryDraw
from mockserver.generation.keys import behaviour_headers, prefer_seed, request_key, stable_hash
from mockserver.generation.plans import PlanCompiler
from mockserver.generation.realism import DateWindow, Realism
from mockserver.generation.rules import Rule, RuleContext, RuleError, RuleSet
from mockserver.generation.shaping import SchemaShaper, ShapingError
from mockserver.generation.statuses import with_status
from mockserver.generation.strategies import HypothesisDraws, import_hypothesis
from mockserver.http.credentials import credential_names
from mockserver.spec.model import Operation, Spec, Validator

_PLAN_ATTEMPTS = 4
# Schemas whose compiled plans are kept, and their weight in all: a schema weighs its plans (what drawing
# it reached of the document) and the definitions its canonical form holds (what it reaches at all): a
# handful on most specs, hundreds, about 0.3 MB, on a large interlinked one. One compiled again costs
# milliseconds next to its draw.
COMPILED_SCHEMAS = 256
COMPILED_PLANS = 8000
_HYPOTHESIS_ATTEMPTS = 3


@dataclass(frozen=True)
class RequestContext:
    """What of the request a generated body may depend on.

    `headers` holds lower-case names of the headers that select behaviour (the operation's declared
    header parameters, and `Prefer`); credentials are ignored even when present.
    """

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Compiled:
    """Everything needed to draw bodies for one schema pointer."""

    pointer: str
    root: jsonschema_rs.CanonicalSchema
    compiler: PlanCompiler
    hypothesis: HypothesisDraws
    validator: Validator
    exact_schema: Callable[[], Any]  # the response view, shaped again when needed (it can be large)
    _exact: HypothesisDraws | None = None
    _exact_root: jsonschema_rs.CanonicalSchema | None = None
    drawing: int = 0  # draws in progress (see ResponseGenerator._release_evicted)

    @property
    def weight(self) -> int:
        """What keeping it costs, in plans and definitions (see COMPILED_PLANS)."""
        return self.compiler.size + self.compiler.definition_count

    def release(self) -> None:
        """Forget the plans and strategies built so far: they are built again if it is drawn from again."""
        self.compiler.release()
        self.hypothesis.release()
        if self._exact is not None:
            self._exact.release()

    def exact(self, realism: Realism) -> tuple[HypothesisDraws, jsonschema_rs.CanonicalSchema]:
        """Hypothesis over the response view itself, without realism: the last resort."""
        if self._exact is None or self._exact_root is None:
            self._exact_root = _canonical(self.exact_schema(), self.pointer)
            self._exact = HypothesisDraws(self._exact_root, realism)
        return self._exact, self._exact_root


@dataclass(frozen=True)
class _Job:
    """One body to draw: its compiled schema, its seeds and what the request pins in it."""

    compiled: _Compiled
    draw_seed: int  # from the request key: every choice of the draw
    world: int  # from the seed and the behaviour headers: the records that exist
    override: Override | None = None
    spent: int = 0  # containers of the size budget already spent (by the values drawn along with this one)


class ResponseGenerator:
    """Generates response bodies that validate, look real, repeat exactly, and obey the domain rules."""

    def __init__(
        self,
        spec: Spec,
        *,
        seed: int = 0,
        rules: RuleSet | None = None,
        cache_size: int = 2048,
        options: PlanOptions | None = None,
        dates: DateWindow | None = None,
        max_page_size: int = 200,
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.rules = rules
        self.options = options or PlanOptions()
        self.max_page_size = max_page_size
        self.realism = Realism(extra_hints=rules.value_hints if rules is not None else (), dates=dates)
        self.cache = BodyCache(cache_size)
        self._evicted: list[_Compiled] = []  # released once no draw uses them
        self._compiled: BoundedCache[str, _Compiled] = BoundedCache(
            COMPILED_SCHEMAS, COMPILED_PLANS, on_evict=lambda _, compiled: self._evicted.append(compiled))
        self._drawing_lock = threading.Lock()
        self._agreements: dict[tuple[str, str], Agreement] = {}
        self._lock = threading.RLock()
        self._credential_headers = tuple(credential_names(spec, "header"))
        self._shaper = SchemaShaper(spec.document, self.realism)
        self._exact_shaper = SchemaShaper(spec.document, None)
        self._write_only: bool | None = None  # whether the document has write-only properties: looked up once
        self._view_validators: dict[str, Validator] = {}  # see response_validator

    # -- public API ------------------------------------------------------------------------

    def generate(
        self,
        operation: Operation,
        status: str,
        media_type: str,
        request: RequestContext,
        *,
        seed: int | None = None,
        status_code: int | None = None,
        fewest_items_at: tuple[str, ...] | None = None,
    ) -> Any:
        """The body of `operation`'s documented response `status` in `media_type` for this request.

        A pure function of (seed, operation, status, media type, path and query parameters, behaviour
        headers): the same request always gets a byte-identical body. `seed` (the client's
        `Prefer: seed=N`) overrides the generator's seed for this request. `status_code`, the status
        sent (`status` is the documented key: `4XX`, `default`), is written in an error body's status
        fields. `fewest_items_at`: the property path of an array drawn with as few items as its schema
        allows (an envelope whose items the caller puts in: they are not drawn only to be replaced).
        """
        frozen = self._generated(operation, status, media_type, request, seed, status_code, fewest_items_at)
        return None if frozen is None else thaw(frozen)

    def generate_json(
        self,
        operation: Operation,
        status: str,
        media_type: str,
        request: RequestContext,
        *,
        seed: int | None = None,
        status_code: int | None = None,
    ) -> bytes | None:
        """`generate`'s body as the JSON bytes the mock sends: a cached body is served without decoding it."""
        frozen = self._generated(operation, status, media_type, request, seed, status_code)
        if frozen is None:
            return None
        return frozen if isinstance(frozen, bytes) else frozen.encode()

    def _generated(
        self,
        operation: Operation,
        status: str,
        media_type: str,
        request: RequestContext,
        seed: int | None,
        status_code: int | None = None,
        fewest_items_at: tuple[str, ...] | None = None,
    ) -> Frozen | None:
        """The body for the request, frozen (see `cache.freeze`), from the cache or drawn and cached."""
        pointer = _schema_pointer(operation, status, media_type)
        if pointer is None:
            return None
        effective_seed = seed if seed is not None else prefer_seed(request.headers)
        effective_seed = self.seed if effective_seed is None else effective_seed
        headers = behaviour_headers(request.headers, self._credential_headers)
        key = request_key(
            "response",
            effective_seed,
            operation.method,
            operation.path,
            status,
            media_type,
            request.path,
            request.query,
            headers,
        )
        error_status = status_code if status_code is not None and status_code >= 400 else None
        if error_status is not None:  # a `default` or `4XX` response answers several statuses
            key = f"{key}|{error_status}"
        if fewest_items_at is not None:
            key = f"{key}|fewest={request_key(*fewest_items_at)}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            compiled = self._compile(pointer)
        except GenerationError as exc:
            raise GenerationError(f"{operation.key} {status} {media_type}: {exc}") from exc
        override = None
        if status.startswith("2"):  # error bodies do not echo the request or fill pages
            agreement = self._agreement(operation, compiled)
            override = agreement.override(request.path, request.query, self.max_page_size)
        if fewest_items_at is not None:
            override = with_fewest_items(override, fewest_items_at)
        # Records are seeded by their id within a world: the seed and the behaviour headers (a tenant).
        job = _Job(compiled, stable_hash(key), stable_hash(effective_seed, headers), override)
        body = self._draw(job)
        if error_status is not None:
            body = with_status(body, error_status, compiled.validator)
        if self.rules:
            body = self._apply_rules(job, body, operation, status, media_type, request)
        frozen = freeze(body)
        self.cache.put(key, frozen)
        return frozen

    def generate_for_pointer(self, schema_pointer: str, *, key: str, share: int = 1) -> Any:
        """A value of any schema of the document (`/components/schemas/X`), deterministic by `key`.

        `share`: the value is one of that many drawn together (the records of a collection), which share
        the size budget of one body (`PlanOptions.max_containers`), as the items of a generated page do."""
        cache_key = request_key("pointer", self.seed, schema_pointer, key)
        kept_as = cache_key if share == 1 else f"{cache_key}|share={share}"
        cached = self.cache.get(kept_as)
        if cached is not None:
            return thaw(cached)
        spent = self.options.max_containers - self.options.max_containers // max(1, share)
        compiled = self._compile(schema_pointer)
        body = self._draw(_Job(compiled, stable_hash(cache_key), stable_hash(self.seed, {}), spent=spent))
        self.cache.put(kept_as, freeze(body))
        return body

    def response_validator(self, schema_pointer: str) -> Validator:
        """A validator of the response view of any schema of the document (write-only properties gone):
        what generated bodies are checked against, compiled once per pointer."""
        found = self._view_validators.get(schema_pointer)
        if found is None:
            found = self._view_validators[schema_pointer] = self._response_validator(schema_pointer)
        return found

    def warm_up(self, pointers: Iterable[str]) -> Iterator[None]:
        """Do, one step at a time, the work the first bodies of all schemas share: whether the document has
        write-only properties, importing hypothesis, then shaping the definitions `pointers` reach (each is
        shaped once for all schemas; on a large spec, seconds of steps). The caller paces the steps (each
        `next` does one); bodies are the same with or without it."""
        with self._lock:
            self._has_write_only()
        yield
        import_hypothesis()  # before the shaping: any first answer may need it, and it is one step
        yield
        for pointer in pointers:
            with self._lock, contextlib.suppress(ShapingError):  # told when an answer needs it
                self._shaper.shape(pointer)
            yield

    # -- compiling -------------------------------------------------------------------------

    def _compile(self, pointer: str) -> _Compiled:
        compiled = self._compiled.get(pointer)
        if compiled is not None:
            return compiled
        with self._lock:
            compiled = self._compiled.get(pointer)
            if compiled is None:
                compiled = self._build(pointer)
                self._compiled.put(pointer, compiled, compiled.weight)
            return compiled

    def _build(self, pointer: str) -> _Compiled:
        try:
            shaped = self._shaper.shape(pointer)
        except ShapingError as exc:
            raise GenerationError(f"schema #{pointer}: {exc}") from exc
        root = _canonical(shaped.schema, pointer)
        if root.satisfiability() is Satisfiability.NO:
            exact = self._exact(pointer)
            if _canonical(exact, pointer).satisfiability() is Satisfiability.NO:
                raise GenerationError(f"the schema at #{pointer} admits no value{_why_unsatisfiable(exact)}")
        hypothesis = HypothesisDraws(root, self.realism)
        compiler = PlanCompiler(root, self.realism, hypothesis, self.options, shaped.key_orders)
        compiler.compile(root)
        return _Compiled(pointer, root, compiler, hypothesis, self._response_validator(pointer),
                         lambda: self._exact(pointer))

    def _exact(self, pointer: str) -> Any:
        """The response view of the schema at `pointer`: what bodies are validated against."""
        with self._lock:
            return self._exact_shaper.shape(pointer).schema

    def _response_validator(self, pointer: str) -> Validator:
        """A validator of the response view: the spec's own (whose compiled schemas every operation shares,
        see `mockserver.spec.validators`) unless write-only properties make the view differ."""
        if self._has_write_only():
            with self._lock:
                exact = self._exact_shaper.shape(pointer)
            if exact.changed:
                return jsonschema_rs.validator_for(exact.schema, validate_formats=True)
        try:
            return self.spec.validator(pointer)
        except ValueError:
            return jsonschema_rs.validator_for(self._exact(pointer), validate_formats=True)

    def _has_write_only(self) -> bool:
        if self._write_only is None:
            with self._lock:  # a walk of the whole document: once, whichever thread asks first
                if self._write_only is None:
                    self._write_only = _mentions_write_only(self.spec.document)
        return self._write_only

    def _agreement(self, operation: Operation, compiled: _Compiled) -> Agreement:
        key = (operation.key, compiled.pointer)
        agreement = self._agreements.get(key)
        if agreement is None:
            agreement = agreement_for(operation, compiled.root)
            self._agreements[key] = agreement
        return agreement

    # -- drawing ---------------------------------------------------------------------------

    def _draw(self, job: _Job) -> Any:
        compiled = job.compiled
        with self._drawing_lock:
            compiled.drawing += 1
        try:
            return self._drawn(job)
        finally:  # drawing compiles the plans it reaches first: the compiled schema weighs more
            with self._drawing_lock:
                compiled.drawing -= 1
            self._compiled.put(compiled.pointer, compiled, compiled.weight)
            if self._evicted:
                self._release_evicted()

    def _release_evicted(self) -> None:
        """Release the compiled schemas the cache let go of, unless a draw is using one or it is kept
        again: the plans of a large spec's schemas are cycles (see `PlanCompiler.release`), and without
        this each evicted schema's stayed in memory until a full garbage collection, rare in a served mock
        (on the synthetic 1,000-operation spec: ~550,000 objects, ~100 MB of RSS after answering each GET)."""
        with self._drawing_lock:  # a draw starting meanwhile waits, and then compiles its plans again
            evicted, self._evicted = self._evicted, []
            for compiled in evicted:
                if compiled.drawing:
                    self._evicted.append(compiled)
                elif self._compiled.peek(compiled.pointer) is not compiled:
                    compiled.release()

    def _drawn(self, job: _Job) -> Any:
        compiled = job.compiled
        rng = Random(job.draw_seed)
        plan = compiled.compiler.compile(compiled.root)
        for _ in range(_PLAN_ATTEMPTS):
            try:
                body = plan(rng, DrawState(seed=job.world, containers=job.spent), job.override)
            except RetryDraw:
                continue
            if compiled.validator.is_valid(body):
                return body
        engines = [(compiled.hypothesis, compiled.root)]
        for attempt in range(2 * _HYPOTHESIS_ATTEMPTS):
            if attempt == _HYPOTHESIS_ATTEMPTS:
                engines.append(compiled.exact(self.realism))
            hypothesis, root = engines[-1]
            try:
                body = hypothesis.draw(root, job.draw_seed + attempt)
            except RetryDraw:
                continue
            if compiled.validator.is_valid(body):
                return body
        raise GenerationError(f"no valid value could be generated for the schema at #{compiled.pointer}")

    def _apply_rules(
        self,
        job: _Job,
        body: Any,
        operation: Operation,
        status: str,
        media_type: str,
        request: RequestContext,
    ) -> Any:
        assert self.rules is not None

        def context() -> RuleContext:
            return RuleContext(
                spec=self.spec,
                operation=operation,
                status=status,
                media_type=media_type,
                path=dict(request.path),
                query=dict(request.query),
                headers={name.lower(): value for name, value in request.headers.items()},
                random=Random(stable_hash(job.draw_seed, "rules")),
                generator=lambda pointer, key: self.generate_for_pointer(
                    pointer, key=f"{job.draw_seed}|{key}"
                ),
            )

        body = self.rules.apply(operation, status, body, context())
        if job.compiled.validator.is_valid(body):
            return body

        def still_valid(rule: Rule, schema_pointer: str, value: Any, where: str) -> None:
            if schema_pointer == job.compiled.pointer:
                error = _first_error(job.compiled.validator, value)
            else:
                error = _first_error(self._validator(schema_pointer), value)
            if error is not None:
                raise RuleError(
                    f"rule {rule.label} made the {operation.key} {status} body invalid "
                    f"at {where or '/'}: {error}"
                )

        # Replay the rules on the same draw, checking after each one, to name the one at fault.
        self.rules.apply(operation, status, self._draw(job), context(), after_each=still_valid)
        raise RuleError(
            f"the rules made the {operation.key} {status} body invalid: "
            f"{_first_error(job.compiled.validator, body)}"
        )

    def _validator(self, pointer: str) -> jsonschema_rs.Validator:
        """A validator for the response view of any schema of the document."""
        return jsonschema_rs.validator_for(self._exact(pointer), validate_formats=True)


def _mentions_write_only(document: Any) -> bool:
    """Whether any schema of the document may have write-only properties (a quick look, not a proof).

    Read from the document's JSON text where orjson can write it (a quote inside a string is escaped, so
    the text has `"writeOnly":true` exactly where an object has that member): 16 ms on GitHub's spec,
    where walking it in Python took 100 ms of its very first answer."""
    try:
        return b'"writeOnly":true' in orjson.dumps(document)
    except TypeError:  # integers beyond 64 bits, keys that are not strings: walked
        pass
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("writeOnly") is True:
                return True
            pending.extend(value for value in node.values() if isinstance(value, (dict, list)))
        elif isinstance(node, list):
            pending.extend(value for value in node if isinstance(value, (dict, list)))
    return False


def _schema_pointer(operation: Operation, status: str, media_type: str) -> str | None:
    response = operation.responses.get(status)
    if response is None:
        raise GenerationError(f"{operation.key} documents no response {status!r}")
    media = response.content.get(media_type)
    if media is None:
        raise GenerationError(f"{operation.key} response {status} has no media type {media_type!r}")
    return media.schema_pointer


def _canonical(schema: Any, pointer: str) -> jsonschema_rs.CanonicalSchema:
    try:
        return jsonschema_rs.canonicalize(schema, draft=jsonschema_rs.Draft202012, validate_formats=True)
    except Exception as exc:  # jsonschema_rs raises several error types for schemas it cannot read
        raise GenerationError(f"schema #{pointer} cannot be generated from: {exc}") from exc


def _why_unsatisfiable(schema: Any) -> str:
    """Where and why a schema admits no value, as far as jsonschema_rs can tell (else "")."""
    try:
        reasons = find_unsatisfiable(schema, draft=jsonschema_rs.Draft202012, validate_formats=True)
    except Exception:  # only an explanation: never let it hide the error itself
        return ""
    if not reasons:
        return ""
    where, reason = max(reasons.items(), key=lambda item: len(item[0]))
    causes = [reason.cause] if hasattr(reason, "cause") else list(getattr(reason, "causes", []))
    keywords = " against ".join("/".join(cause.keywords) for cause in causes if cause.keywords)
    return f" ({keywords or 'its keywords'} at {where or '/'})"


def _first_error(validator: Validator, value: Any) -> str | None:
    for error in validator.iter_errors(value):
        where = "".join(f"/{part}" for part in error.instance_path)
        return f"{error.message} (at {where or '/'} of the value)"
    return None

