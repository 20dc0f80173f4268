"""Records in documented bodies: a record shaped by a response schema, a page of them in a list envelope.

A stored record holds what clients sent (write-only fields included); an answer shows it as the response
schema has it: write-only fields left out (at any depth), fields the schema does not declare left out
(unless it explicitly welcomes others, as a real server answers with its response model), and
what the schema requires but the record lacks taken from a body generated for that schema, so that every
answer stays valid. A list envelope is the generated body of the operation with the page of records in
its list field and its pagination fields (`total`, `count`, `limit`, `has_more`, `next_cursor`...) told
the truth.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from typing import Any

from mockserver.foundation.bounded import BoundedCache, json_size
from mockserver.generation import ResponseGenerator
from mockserver.resources.inference import Slot
from mockserver.resources.records import (
    HAS_MORE_FIELDS,
    LIMIT_FIELDS,
    NEXT_CURSOR_FIELDS,
    OFFSET_FIELDS,
    TOTAL_FIELDS,
    Window,
)
from mockserver.resources.schemas import (
    ObjectView,
    array_items,
    normalized,
    object_view,
    types_of,
    view_target,
)
from mockserver.spec.model import Spec

logger = logging.getLogger("mockserver")

_REPAIRS = 3
SHOWN_RECORDS = 4096  # records whose answer form is remembered
# ... and the JSON bytes (json_size) those forms and their records make, at most: as Python objects they
# take about twice as much (measured: 36 MB for 16.8 MB of JSON).
SHOWN_BYTES = 8 * 1024 * 1024
_MAX_DEPTH = 16


class RecordBodies:
    """Shapes records for answers; caches what it reads of each schema."""

    def __init__(self, spec: Spec, generator: ResponseGenerator) -> None:
        self.spec = spec
        self.generator = generator
        self._views: dict[str, ObjectView | None] = {}
        self._items: dict[str, str | None] = {}
        self._shown: BoundedCache[tuple[int, str], tuple[dict[str, Any], dict[str, Any] | None]] = \
            BoundedCache(SHOWN_RECORDS, SHOWN_BYTES)

    def view(self, pointer: str) -> ObjectView | None:
        """The view of the schema at `pointer`: one per schema that many `$ref`s reach (a large spec reaches
        each of its schemas from hundreds of places)."""
        if pointer not in self._views:
            target = view_target(self.spec.document, pointer)
            shared = target != pointer
            self._views[pointer] = self.view(target) if shared else object_view(self.spec.document, pointer)
        return self._views[pointer]

    def shaped(self, record: dict[str, Any], pointer: str, key: Callable[[], str]) -> dict[str, Any] | None:
        """The record as the schema at `pointer` answers it; None when it cannot be made valid. `key()`
        names the record for the fields drawn when it lacks some (the same record, the same fields).

        Stored records are never changed in place (a write stores a new one), so what a record shows is
        remembered by the record itself (the entry holds it: its identity cannot be reused meanwhile)."""
        remembered = self._shown.get((id(record), pointer))
        if remembered is not None and remembered[0] is record:
            return remembered[1]
        shown = self._shape(record, pointer, key)
        # the entry keeps the record too
        weight = 2 * json_size(shown) if shown is not None else json_size(record)
        self._shown.put((id(record), pointer), (record, shown), weight)
        return shown

    def _shape(self, record: dict[str, Any], pointer: str, key: Callable[[], str]) -> dict[str, Any] | None:
        shown = self._strip(record, pointer, 0)
        if not isinstance(shown, dict):
            return None
        validator = self.generator.response_validator(pointer)
        if validator.is_valid(shown):
            return shown
        return self._repaired(shown, pointer, key())

    def visible(self, record: dict[str, Any], pointer: str) -> dict[str, Any]:
        """The record with only what the schema at `pointer` shows (write-only fields left out)."""
        shown = self._strip(record, pointer, 0)
        return shown if isinstance(shown, dict) else record

    def _strip(self, value: Any, pointer: str, depth: int) -> Any:
        """`value` with the properties the schema declares, write-only ones left out, in its order; `value`
        itself where that changes nothing (records are never changed in place: answers share them, and a
        record's answer form costs no memory of its own)."""
        if depth > _MAX_DEPTH:
            return value
        if isinstance(value, dict):
            view = self.view(pointer)
            if view is None:
                return value
            shown = {name: self._strip(value[name], prop.pointer, depth + 1)
                     for name, prop in view.properties.items() if name in value and not prop.write_only}
            if view.open and not view.closed:  # the schema's order first, then what else it welcomes
                shown.update((name, item) for name, item in value.items() if name not in view.properties)
            return value if _same(shown, value) else shown
        if isinstance(value, list):
            if pointer not in self._items:
                self._items[pointer] = array_items(self.spec.document, pointer)
            items = self._items[pointer]
            if items is None:
                return value
            stripped = [self._strip(item, items, depth + 1) for item in value]
            return value if all(map(operator.is_, stripped, value)) else stripped
        return value

    def _repaired(self, shown: dict[str, Any], pointer: str, key: str) -> dict[str, Any] | None:
        """Fields the schema refuses or misses replaced by those of a body generated for it."""
        base = self.generator.generate_for_pointer(pointer, key=key)
        if not isinstance(base, dict):
            return None
        view = self.view(pointer)
        fixed = dict(shown)
        if view is not None:
            for name in view.required:
                if name not in fixed and name in base:
                    fixed[name] = base[name]
        validator = self.generator.response_validator(pointer)
        for _ in range(_REPAIRS):
            errors = list(validator.iter_errors(fixed))
            if not errors:
                return fixed
            for error in errors:
                path = error.instance_path
                if not path:
                    continue
                name = str(path[0])
                if name in base:
                    fixed[name] = base[name]
                else:
                    fixed.pop(name, None)
        return fixed if validator.is_valid(fixed) else None

    def place(self, body: Any, slot: Slot, value: Any) -> Any:
        """`value` put at the slot of a generated `body` (the body itself for a slot at the top)."""
        if not slot.path:
            return value
        placed = dict(body) if isinstance(body, dict) else {}
        placed[slot.path[0]] = value
        return placed

    def paginated(self, envelope: dict[str, Any], pointer: str, window: Window,
                  page_number: int | None) -> dict[str, Any]:
        """The envelope's pagination fields set from the window, where their schemas accept the value."""
        view = self.view(pointer)
        if view is None:
            return envelope
        body = dict(envelope)
        for name, prop in view.properties.items():
            kind = normalized(name)
            kinds = types_of(prop.schema)
            value: Any = _ABSENT
            if kind in TOTAL_FIELDS and "integer" in kinds:
                value = window.total
            elif kind in LIMIT_FIELDS and "integer" in kinds and window.limit is not None:
                value = window.limit
            elif kind in OFFSET_FIELDS and "integer" in kinds:
                value = window.start
            elif kind == "page" and "integer" in kinds and page_number is not None:
                value = page_number
            elif kind in HAS_MORE_FIELDS and "boolean" in kinds:
                value = window.has_more
            elif kind in NEXT_CURSOR_FIELDS and "string" in kinds and prop.schema.get("format") is None:
                value = window.next_cursor
            if value is _ABSENT:
                continue
            if self.spec.validator(prop.pointer).is_valid(value):
                body[name] = value
            elif value is None and name not in view.required:
                body.pop(name, None)
        return body

    def is_valid(self, body: Any, pointer: str) -> bool:
        return self.generator.response_validator(pointer).is_valid(body)


_ABSENT: Any = object()


def _same(shown: dict[str, Any], value: dict[str, Any]) -> bool:
    """Whether `shown` holds exactly `value`'s entries (the same objects), in the same order."""
    if len(shown) != len(value):
        return False
    return all(name == other and item is value[other]
               for (name, item), other in zip(shown.items(), value, strict=True))
