"""Fixture-backed answers: named responses, then datasets, from the fixture set of the active scenario.

The active scenario is `X-Mock-Scenario` (or `mockserver serve --scenario`); an unknown name gets the
mock's own 400 listing the scenarios. Named responses answer first: the one `Prefer: example=<name>`
names, else the most specific one whose `match` fits (and whose status is `Prefer: code`, if given).
Datasets then answer the operation's success response. `Prefer: dynamic=true` makes both step aside.
"""

from __future__ import annotations

from pathlib import Path

from mockserver.answers.context import AnswerContext
from mockserver.answers.fixture_sets import BASE_SET_NAME, FixtureSet, FixtureSets, load_fixture_sets
from mockserver.answers.spec_answers import SpecAnswers
from mockserver.datasets.binding import RequestParams
from mockserver.fixture_files.named import CompiledResponse
from mockserver.foundation.config import MockConfig
from mockserver.http.answer import Answer
from mockserver.http.negotiation import NegotiationError
from mockserver.spec.model import Operation, Spec


class NamedResponses:
    """The source answering from named responses."""

    impure_operations: frozenset[str] = frozenset()

    def __init__(self, sets: FixtureSets, spec_answers: SpecAnswers) -> None:
        self.sets = sets
        self.spec_answers = spec_answers

    def answer(self, ctx: AnswerContext) -> Answer | None:
        sets = self.sets.active(ctx.scenario)
        preferences = ctx.preferences
        if preferences.dynamic is True:
            return None
        if preferences.example is not None:
            return self._by_name(ctx, sets, preferences.example)
        request = ctx.request
        for fixture_set in sets:
            for response in fixture_set.responses.get(ctx.operation.key, ()):
                if response.on_demand or preferences.code not in (None, response.status):
                    continue
                if response.fits(request.path, request.query, request.headers):
                    return self._named_answer(ctx, response, sets[0])
        return None

    def _named_answer(self, ctx: AnswerContext, response: CompiledResponse, active: FixtureSet) -> Answer:
        source = f"fixture:{response.name}"
        delay = max(response.delay_ms, active.delay_ms)
        fault = response.fault or active.fault
        if not response.has_body:
            answer = self.spec_answers.documented(ctx.operation, response.status, source)
            answer.headers.update(response.headers)
            answer.delay_ms = delay
            answer.fault = fault
            return answer
        headers = dict(response.headers)
        documented = ctx.operation.responses[response.response_key]
        if response.fills_headers:
            required = self.spec_answers.required_headers(ctx.operation, documented, ctx.generation)
            headers = {**required, **headers}
        media = documented.content.get(response.media_type) if response.media_type else None
        body = response.body if media is None else self.spec_answers.as_sent(media, response.body)
        return Answer(response.status, body, response.media_type, source, headers, delay,
                      response.response_key, fault)

    def _by_name(self, ctx: AnswerContext, sets: tuple[FixtureSet, ...], name: str) -> Answer | None:
        key = ctx.operation.key
        code = ctx.preferences.code
        response = next((found for s in sets if (found := s.named(key, name)) is not None), None)
        if response is not None:
            if code not in (None, response.status):
                message = f"response {name!r} of {key} answers {response.status}, not {code}"
                raise NegotiationError(400, message, _names(sets, key, code))
            return self._named_answer(ctx, response, sets[0])
        examples = _spec_example_names(ctx.operation)
        if name in examples:
            return None  # one of the spec's own examples: the spec answers serve it
        raise NegotiationError(404, f"{key} has no fixture or example named {name!r}",
                               [*_names(sets, key, code), *examples])


def _names(sets: tuple[FixtureSet, ...], key: str, code: int | None) -> list[str]:
    names = [r.name for s in sets for r in s.responses.get(key, ()) if code in (None, r.status)]
    return list(dict.fromkeys(names))


def _spec_example_names(operation: Operation) -> list[str]:
    names: dict[str, None] = {}
    for response in operation.responses.values():
        for media in response.content.values():
            names.update(dict.fromkeys(media.examples))
    return list(names)




class DatasetAnswers:
    """The source answering bound operations from the active set's dataset."""

    def __init__(self, sets: FixtureSets, tenant_header: str | None, spec_answers: SpecAnswers) -> None:
        self.sets = sets
        self.tenant_header = tenant_header
        self.spec_answers = spec_answers
        self._declared_tenant_header: dict[str, str | None] = {}  # by operation key

    @property
    def impure_operations(self) -> frozenset[str]:
        """Operations some set answers with a Python hook: user code, whose answers may vary."""
        every_set = [self.sets.base, *self.sets.scenarios.values()]
        return frozenset(key for fixture_set in every_set if fixture_set.dataset is not None
                         for key, binding in fixture_set.dataset.bindings.items() if binding.hook is not None)

    def answer(self, ctx: AnswerContext) -> Answer | None:
        sets = self.sets.active(ctx.scenario)
        preferences = ctx.preferences
        dataset = sets[0].dataset
        if dataset is None or preferences.dynamic is True or preferences.example is not None:
            return None
        key = ctx.operation.key
        binding = dataset.bindings.get(key)
        if binding is None or preferences.code not in (None, binding.status):
            return None
        params = RequestParams(ctx.request.path, ctx.request.query, ctx.request.headers)
        answer = dataset.respond(ctx.operation, params, self._tenant(ctx, key), ctx.scenario,
                                 self.spec_answers.documented)
        if answer is None:
            return None
        active = sets[0]
        if active.delay_ms > answer.delay_ms:
            answer.delay_ms = active.delay_ms
        if not answer.fault:
            answer.fault = active.fault
        return answer

    def _tenant(self, ctx: AnswerContext, key: str) -> str | None:
        """The tenant header's value: from the typed parameters when the operation declares it."""
        if self.tenant_header is None:
            return None
        if key not in self._declared_tenant_header:
            wanted = self.tenant_header.lower()
            declared_headers = [p.name for p in ctx.operation.parameters if p.location == "header"]
            found = next((name for name in declared_headers if name.lower() == wanted), None)
            self._declared_tenant_header[key] = found
        declared = self._declared_tenant_header[key]
        if declared is not None:
            value = ctx.request.headers.get(declared)
            return None if value is None else str(value)
        return ctx.headers.get(self.tenant_header)


class FixtureAnswers:
    """The sources a fixtures folder defines, in the order they are consulted, and its scenario names."""

    def __init__(self, sets: FixtureSets, config: MockConfig, spec_answers: SpecAnswers) -> None:
        self.sets = sets
        self.sources = (NamedResponses(sets, spec_answers), DatasetAnswers(sets, config.tenant_header,
                                                                           spec_answers))

    @property
    def tenants(self) -> tuple[str, ...]:
        return self.sets.tenants

    def is_known_tenant(self, value: str) -> bool:
        """Whether a tenant header's value names a tenant of the base set (any does without tenants)."""
        dataset = self.sets.base.dataset
        return dataset is None or dataset.scope.tenant_for(value)[1]

    @property
    def scenario_names(self) -> list[str]:
        """"default" (the base set) and every scenario the files name."""
        return [BASE_SET_NAME, *self.sets.scenario_names]


def load_fixture_answers(spec: Spec, fixtures_dir: Path | None, config: MockConfig,
                         spec_answers: SpecAnswers) -> FixtureAnswers:
    """The fixture sources of a folder (none without one). Raises LoadError listing every problem of every
    fixture file."""
    sets = load_fixture_sets(spec, fixtures_dir, config.tenant_header)
    return FixtureAnswers(sets, config, spec_answers)
