"""Domain rules: invariants a spec's owner declares, which generated bodies are made to obey.

A schema says what each field may hold; it cannot say that a total is the sum of its lines, that a
void record has a `voided_at`, or that a list filtered by `status=paid` holds paid records. A fixtures
folder declares such rules in a `rules.py` next to its fixtures::

    import random
    from mockserver import RuleContext, RuleSet

    rules = RuleSet()

    @rules.schema("Invoice")
    def total_is_sum_of_lines(invoice: dict, ctx: RuleContext) -> None:
        \"\"\"total = sum of the lines' amounts\"\"\"
        invoice["total"] = sum(line["amount"] for line in invoice["lines"])

    @rules.operation("GET /invoices")            # or its operationId
    def page_matches_filters(page: dict, ctx: RuleContext) -> None:
        \"\"\"a page holds at most `limit` invoices, all with the requested status\"\"\"
        del page["items"][ctx.query_int("limit", 20):]
        if ctx.query_value("status") is not None:
            for invoice in page["items"]:
                invoice["status"] = ctx.query_value("status")

    @rules.value(name=r".*sku")                  # how string fields whose name matches look
    def sku(rng: random.Random) -> str:
        return f"SKU-{rng.randint(1000, 9999)}"

- `@rules.schema("Name")` runs on every object the response reaches through
  `$ref: "#/components/schemas/Name"`, wherever it is nested (also `"#/any/json/pointer"`).
- `@rules.operation("operationId" or "METHOD /path", status="2XX")` runs on the whole body of the
  operation's matching responses (`status`: "200", "2XX" (the default; it also matches `default`), "*").
- A rule receives the value and a `RuleContext` (the request's `path`/`query`/`headers`, a seeded
  `random` for any choice it makes, the `operation`, `status`, and `pointer`: where the value sits). It
  changes the value in place, or returns a replacement. `ctx.generate("Name")` draws a fresh instance
  of a schema when a rule must add data (a missing child record, say).
- Order: operation rules first (what the request decides: ids, filters, page size), then schema rules,
  innermost objects first (so a parent's totals see its children's final amounts).
- A rule must leave data that already obeys it unchanged, and make random choices only where the data
  breaks it: `RuleSet.check` finds the rules a real server's response breaks by applying them to a copy
  and reporting what they would change (the first line of a rule's docstring is its one-line reason).
- Facts and conventions: a rule states a fact about the API (what its documentation establishes), or,
  with `convention=True`, one of the mock's own data conventions (a believable choice where the
  documentation is silent). Generated data obeys both; `RuleSet.check` (and so `mockserver contract`)
  holds a server to the facts only, so that no guess ever fails a healthy server.
- After the rules, the body is validated against the schema again: a rule that breaks the schema is a
  bug in the rules, reported with the rule's name, file and line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from random import Random
from typing import Any, TypeVar

from mockserver.foundation.problems import LoadError, Problem, escape_pointer_token
from mockserver.generation.errors import GenerationError
from mockserver.generation.instances import InstanceWalker
from mockserver.generation.realism import CustomHint
from mockserver.spec.model import Operation, Spec
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve

RULES_FILE = "rules.py"
_UNCHANGED: Any = object()

RuleFunction = Callable[[Any, "RuleContext"], Any]
F = TypeVar("F", bound=Callable[..., Any])


class RuleError(GenerationError):
    """A rule raised, or left a body that no longer matches its schema: a bug in the rules."""


class NotGenerating(LookupError):
    """A rule asked for generated data while its rules were checking a body they must not change."""


@dataclass(frozen=True)
class Violation:
    """One rule that a body breaks: where the first difference is, and why."""

    rule: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message} (rule {self.rule})"


@dataclass
class RuleContext:
    """What a rule may look at besides the value: the request, the response, and a seeded random."""

    spec: Spec
    operation: Operation
    status: str = "200"
    media_type: str = "application/json"
    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    random: Random = field(default_factory=lambda: Random(0))
    pointer: str = ""  # where the value handed to the rule sits in the body
    # (schema pointer, key) -> a generated instance; set by the generator, None when checking real bodies
    generator: Callable[[str, str], Any] | None = field(default=None, repr=False)

    def generate(self, schema: str, *, key: str = "") -> Any:
        """A freshly generated instance of a schema ("Name" or "#/pointer"), e.g. to add a missing child.

        Deterministic for the request, the rule's place in the body and `key`. Only available while
        generating: when `RuleSet.check` looks at a real body, the rule is reported as broken instead.
        """
        if self.generator is None:
            raise NotGenerating("the body is not generated here, so the rule cannot add generated data")
        return self.generator(_schema_pointer(schema), f"{self.pointer}|{key}")

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header by case-insensitive name."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), default)

    def query_value(self, name: str, default: Any = None) -> Any:
        """A query parameter (its first value, when it was sent several times)."""
        value = self.query.get(name, default)
        if isinstance(value, list):
            return value[0] if value else default
        return value

    def query_int(self, name: str, default: int) -> int:
        """A query parameter as an integer, or `default` when it is absent or not a number."""
        value = self.query_value(name)
        try:
            return int(value) if value is not None and not isinstance(value, bool) else default
        except (TypeError, ValueError):
            return default

    def query_bool(self, name: str, default: bool = False) -> bool:
        """A query parameter as a boolean (`true`/`1`/`yes`/`on`), or `default` when it is absent."""
        value = self.query_value(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    @property
    def schema_pointer(self) -> str | None:
        """Where the response's schema lives in `spec.document`."""
        response = self.operation.responses.get(self.status)
        media = response.content.get(self.media_type) if response is not None else None
        return media.schema_pointer if media is not None else None


@dataclass(frozen=True)
class Rule:
    """One declared rule."""

    function: RuleFunction
    kind: str  # "schema" or "operation"
    targets: tuple[str, ...]  # schema pointers, or operation names
    status: str = "2XX"
    convention: bool = False  # the mock's own data convention, not a documented fact

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", repr(self.function))

    @property
    def location(self) -> str:
        code = getattr(self.function, "__code__", None)
        return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "?"

    @property
    def label(self) -> str:
        return f"`{self.name}` ({self.location})"

    @property
    def reason(self) -> str:
        doc = (getattr(self.function, "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else self.name

    def covers(self, operation: Operation, status: str) -> bool:
        return any(operation.matches_name(name) for name in self.targets) and _status_matches(
            self.status, status
        )


class RuleSet:
    """The rules of one API (see the module docstring for how to declare them)."""

    def __init__(self) -> None:
        self._schema_rules: list[Rule] = []
        self._operation_rules: list[Rule] = []
        self._hints: list[CustomHint] = []
        self._walkers: dict[tuple[int, frozenset[str]], InstanceWalker] = {}

    # -- declaring -------------------------------------------------------------------------

    def schema(self, *names: str, convention: bool = False) -> Callable[[F], F]:
        """Run the decorated function on every instance of these component schemas (or pointers);
        `convention=True`: a data convention of the mock's, never held against a server."""
        if not names:
            raise TypeError("rules.schema() needs at least one schema name")

        def register(function: F) -> F:
            pointers = tuple(_schema_pointer(name) for name in names)
            self._schema_rules.append(Rule(function, "schema", pointers, convention=convention))
            return function

        return register

    def operation(self, *names: str, status: str = "2XX", convention: bool = False) -> Callable[[F], F]:
        """Run the decorated function on the bodies of these operations' `status` responses;
        `convention=True`: a data convention of the mock's, never held against a server."""
        if not names:
            raise TypeError("rules.operation() needs at least one operationId or 'METHOD /path'")

        def register(function: F) -> F:
            self._operation_rules.append(Rule(function, "operation", names, status, convention))
            return function

        return register

    def value(
        self, *, name: str | None = None, description: str | None = None, format: str | None = None
    ) -> Callable[[F], F]:
        """Use the decorated `(random.Random) -> str` for string fields matching name/description/format.

        `name` must fully match the field name in snake case; `description` is searched for in it.
        """
        if name is None and description is None and format is None:
            raise TypeError("rules.value() needs a name, description or format pattern")

        def register(function: F) -> F:
            label = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', function)}"
            self._hints.append(CustomHint(label, function, name=name, description=description, format=format))
            return function

        return register

    @property
    def value_hints(self) -> tuple[CustomHint, ...]:
        return tuple(self._hints)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return (*self._operation_rules, *self._schema_rules)

    def __len__(self) -> int:
        return len(self._schema_rules) + len(self._operation_rules)

    def __bool__(self) -> bool:
        return len(self) > 0

    # -- applying --------------------------------------------------------------------------

    def apply(
        self,
        operation: Operation,
        status: str,
        body: Any,
        ctx: RuleContext,
        *,
        after_each: Callable[[Rule, str, Any, str], None] | None = None,
    ) -> Any:
        """Make `body` obey every rule that covers it; returns it (changed in place, or replaced).

        `after_each(rule, schema_pointer, value, where)` is called after every rule invocation.
        """
        ctx = replace(ctx)  # one copy whose `pointer` follows the rules through the body

        def invoke(rule: Rule, schema_pointer: str, value: Any, where: str) -> Any:
            ctx.pointer = where
            result = self._invoke(rule, value, ctx)
            if after_each is not None:
                after_each(rule, schema_pointer, result, where)
            return result

        return self._run(operation, status, body, ctx, invoke)

    def check(self, operation: Operation, status: str, body: Any, ctx: RuleContext) -> list[Violation]:
        """The facts `body` breaks: each fact rule applied to a copy, reported where its output differs
        (the mock's conventions are not checked: they are not the API's)."""
        violations: list[Violation] = []
        ctx = replace(ctx)

        def invoke(rule: Rule, schema_pointer: str, value: Any, where: str) -> Any:
            if rule.convention:
                return value
            before = _clone(value)
            ctx.pointer = where
            try:
                after = self._invoke(rule, value, ctx)
            except RuleError as exc:
                broken = isinstance(exc.__cause__, NotGenerating)
                message = f"{rule.reason} (the rule would add data here)" if broken else str(exc)
                violations.append(Violation(rule.name, where, message))
                return before
            difference = _first_difference(before, after)
            if difference is not None:
                at, found, expected = difference
                violations.append(
                    Violation(
                        rule.name,
                        where + at,
                        f"{rule.reason}: found {_short(found)}, expected {_short(expected)}",
                    )
                )
            return after

        self._run(operation, status, _clone(body), ctx, invoke)
        return violations

    def unknown_targets(self, spec: Spec) -> list[Problem]:
        """Rules naming schemas or operations that `spec` does not have (worth a warning, not an error)."""
        problems = []
        for rule in self._schema_rules:
            for pointer in rule.targets:
                if resolve(spec.document, pointer) is MISSING:
                    problems.append(
                        _problem(
                            rule,
                            f"rule `{rule.name}` names schema #{pointer}, which the spec does not define",
                        )
                    )
        for rule in self._operation_rules:
            for name in rule.targets:
                if spec.find_operation(name) is None:
                    problems.append(
                        _problem(
                            rule,
                            f"rule `{rule.name}` names operation {name!r}, which the spec does not define",
                        )
                    )
        return problems

    def _run(
        self,
        operation: Operation,
        status: str,
        body: Any,
        ctx: RuleContext,
        invoke: Callable[[Rule, str, Any, str], Any],
    ) -> Any:
        schema_pointer = replace(ctx, operation=operation, status=status).schema_pointer or ""
        for rule in self._operation_rules:
            if rule.covers(operation, status):
                body = invoke(rule, schema_pointer, body, "")
        if not self._schema_rules or not schema_pointer:
            return body
        by_pointer: dict[str, list[Rule]] = {}
        for rule in self._schema_rules:
            for pointer in rule.targets:
                by_pointer.setdefault(pointer, []).append(rule)

        def visit(pointer: str, value: Any, where: str) -> Any:
            for rule in by_pointer.get(pointer, ()):
                value = invoke(rule, pointer, value, where)
            return value

        return self._walker(ctx.spec, frozenset(by_pointer)).walk(body, schema_pointer, visit)

    def _invoke(self, rule: Rule, value: Any, ctx: RuleContext) -> Any:
        try:
            result = rule.function(value, ctx)
        except Exception as exc:
            raise RuleError(
                f"rule {rule.label} raised {type(exc).__name__}: {exc} "
                f"(on the value at {ctx.pointer or '/'} of {ctx.operation.key} {ctx.status})"
            ) from exc
        return value if result is None else result

    def _walker(self, spec: Spec, wanted: frozenset[str]) -> InstanceWalker:
        key = (id(spec), wanted)
        walker = self._walkers.get(key)
        if walker is None or walker.spec is not spec:
            walker = InstanceWalker(spec, wanted)
            self._walkers[key] = walker
        return walker


def load_rules(fixtures_dir: Path) -> RuleSet:
    """The `RuleSet` declared in `<fixtures_dir>/rules.py`; an empty one when there is no such file.

    Raises LoadError (naming the file and line) when the file cannot be run or declares no RuleSet.
    """
    path = Path(fixtures_dir) / RULES_FILE
    if not path.is_file():
        return RuleSet()
    display = str(path)
    try:
        source = path.read_text(encoding="utf-8")
        code = compile(source, display, "exec")
    except SyntaxError as exc:
        raise LoadError([Problem(display, "", f"invalid Python: {exc.msg}", line=exc.lineno)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([Problem(display, "", f"cannot read the rules: {exc}")]) from None
    module_name = "mockserver_rules_" + hashlib.sha1(str(path.absolute()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = _line_in(exc, path)
        raise LoadError(
            [Problem(display, "", f"running the rules failed: {type(exc).__name__}: {exc}", line=line)]
        ) from None
    found = module.__dict__.get("rules")
    if not isinstance(found, RuleSet):
        found = next((value for value in module.__dict__.values() if isinstance(value, RuleSet)), None)
    if found is None:
        raise LoadError(
            [
                Problem(
                    display,
                    "",
                    "declares no RuleSet: add `rules = RuleSet()` "
                    "(from mockserver.generation.rules) and decorate the rules with it",
                )
            ]
        )
    return found


def _schema_pointer(name: str) -> str:
    if name.startswith("#"):
        return fragment_pointer(name[1:])
    if name.startswith("/"):
        return name
    return f"/components/schemas/{escape_pointer_token(name)}"


def _status_matches(pattern: str, status: str) -> bool:
    pattern, status = pattern.strip().upper(), status.strip().upper()
    if pattern in ("*", "ANY"):
        return True
    if pattern == status:
        return True
    if len(pattern) == 3 and pattern.endswith("XX"):
        return status[:1] == pattern[:1] or (pattern == "2XX" and status == "DEFAULT")
    return False


def _problem(rule: Rule, message: str) -> Problem:
    code = getattr(rule.function, "__code__", None)
    file = code.co_filename if code is not None else "rules.py"
    return Problem(file, "", message, line=code.co_firstlineno if code is not None else None)


def _line_in(exc: BaseException, path: Path) -> int | None:
    target = str(path)
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == target:
            line = frame.lineno
    return line


def _clone(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value


def _first_difference(before: Any, after: Any, at: str = "") -> tuple[str, Any, Any] | None:
    """(pointer, value before, value after) of the first place where the two differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [key for key in after if key not in before]:
            if key not in after or key not in before:
                return (
                    f"{at}/{escape_pointer_token(key)}",
                    before.get(key, _UNCHANGED),
                    after.get(key, _UNCHANGED),
                )
            found = _first_difference(before[key], after[key], f"{at}/{escape_pointer_token(key)}")
            if found is not None:
                return found
        return None
    if isinstance(before, list) and isinstance(after, list):
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            found = _first_difference(old, new, f"{at}/{index}")
            if found is not None:
                return found
        if len(before) != len(after):
            return at, _Items(len(before)), _Items(len(after))
        return None
    if before == after and type(before) is type(after):
        return None
    return at, before, after


class _Items(int):
    """An array's length, when that is the difference."""

    def __str__(self) -> str:
        return f"{int(self)} items"


def _short(value: Any) -> str:
    if value is _UNCHANGED:
        return "nothing"
    text = str(value) if isinstance(value, _Items) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
