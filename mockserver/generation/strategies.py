"""Hypothesis strategies for the schema parts the fast plans leave to hypothesis, drawn deterministically.

Strategies come from schemathesis' JSON Schema builder (`from_schema` over jsonschema_rs' canonical
form), which models all of JSON Schema 2020-12 including patterns, `not`, `if`/`then`/`else` and
recursive references. Formats, standard and `x-mock:` ones alike, draw from the realism providers.

A draw is a pure function of its seed: it runs on a fresh `ConjectureData` seeded with it, whose
provider never mixes in hypothesis' pool of "interesting constants" (that pool depends on which modules
happen to be imported, so it would make a draw differ from one process to another). This relies on
hypothesis internals (`ConjectureData`, `BuildContext`, `HypothesisProvider`) that are stable across
hypothesis 6 and are kept to this one module.
"""

from __future__ import annotations

import threading
from functools import cache
from random import Random
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockserver.generation.errors import GenerationError, RetryDraw
from mockserver.generation.realism import Realism

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from schemathesis.generation.jsonschema.context import StrategyContext

# hypothesis and schemathesis take most of a second to import: the functions below import them when a
# draw first needs them, to keep start-up fast (no import cycle is involved).
_ATTEMPTS = 8


@cache
def _plain_provider() -> type:
    """Hypothesis' own provider, minus the constants pool (which varies with the imported modules)."""
    from hypothesis.internal.conjecture.providers import HypothesisProvider

    class PlainProvider(HypothesisProvider):
        def _maybe_draw_constant(self, choice_type: Any, constraints: Any, *, p: float = 0.05) -> None:
            return None

    return PlainProvider


def import_hypothesis() -> None:
    """Import what a hypothesis draw needs (most of a second): done ahead by a warm-up, else on first draw."""
    from schemathesis.generation.jsonschema.strategy import from_schema  # noqa: F401

    _plain_provider()


def _context(root: jsonschema_rs.CanonicalSchema, realism: Realism) -> StrategyContext:
    from schemathesis.generation.jsonschema.context import Alphabet, StrategyContext

    # Printable ASCII for strings no provider or pattern shapes (they are rare after shaping). No codec:
    # printable ASCII is all UTF-8 anyway, and naming one makes hypothesis try every Unicode character
    # with it once per process (1.6 s, on the first such string of the process).
    alphabet = Alphabet(
        allow_x00=False,
        codec=None,
        max_codepoint=0x7E,
        exclude_characters="".join(chr(code) for code in range(0x20)),
    )
    return StrategyContext(root=root, alphabet=alphabet, formats=_ProviderFormats(realism))


class _ProviderFormats(dict[str, Any]):
    """The `formats` mapping handed to schemathesis: every format the realism table can produce."""

    def __init__(self, realism: Realism) -> None:
        super().__init__()
        self.realism = realism

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.realism.provider(name) is not None

    def __missing__(self, name: str) -> SearchStrategy[str]:
        from hypothesis import strategies as st

        provider = self.realism.provider(name)
        if provider is None:
            raise KeyError(name)
        strategy = st.integers(min_value=0, max_value=2**64 - 1).map(lambda seed: provider(Random(seed)))
        self[name] = strategy
        return strategy


class HypothesisDraws:
    """Builds (once) and draws (deterministically) hypothesis strategies for canonical schema nodes."""

    def __init__(self, root: jsonschema_rs.CanonicalSchema, realism: Realism) -> None:
        self._root = root
        self._realism = realism
        self._context: StrategyContext | None = None
        self._strategies: dict[jsonschema_rs.CanonicalSchema, SearchStrategy[Any]] = {}
        self._lock = threading.Lock()

    def strategy(self, node: jsonschema_rs.CanonicalSchema) -> SearchStrategy[Any]:
        with self._lock:
            strategy = self._strategies.get(node)
            if strategy is None:
                from schemathesis.generation.jsonschema.strategy import from_schema

                if self._context is None:
                    self._context = _context(self._root, self._realism)
                try:
                    strategy = from_schema(node, self._context)
                    strategy.validate()
                except Exception as exc:  # hypothesis' and schemathesis' own "cannot do this schema" errors
                    raise GenerationError(f"cannot generate values for {_shown(node)}: {exc}") from exc
                self._strategies[node] = strategy
            return strategy

    def release(self) -> None:
        """Forget the strategies built (they refer to one another), for draws that will not come again."""
        with self._lock:
            self._strategies.clear()
            self._context = None

    def draw(self, node: jsonschema_rs.CanonicalSchema, seed: int) -> Any:
        """A value of `node`, the same for the same seed in any process; RetryDraw when none is found."""
        from hypothesis.control import BuildContext
        from hypothesis.errors import HypothesisException, StopTest
        from hypothesis.internal.conjecture.data import ConjectureData

        strategy = self.strategy(node)
        for attempt in range(_ATTEMPTS):
            data = ConjectureData(random=Random(seed + attempt), provider=_plain_provider())
            try:
                # hypothesis types `wrapped_test` as a callable; a BuildContext only keeps it, for @given's
                # reports, and a draw outside @given has no test to name.
                with BuildContext(data, is_final=False, wrapped_test=None):  # type: ignore[arg-type]
                    return data.draw(strategy)
            except (StopTest, HypothesisException):  # a filter gave up, or the draw ran out of room
                continue
        raise RetryDraw(f"hypothesis found no value for {_shown(node)}")


def _shown(node: jsonschema_rs.CanonicalSchema) -> str:
    text = str(node.to_json_schema())
    return text if len(text) <= 200 else text[:197] + "..."
