"""How the server's and the mock's answers to one request differ (`mockserver diff`), each difference
classified: status, content type, response shape, error body shape, or data-dependent.

Data-dependent differences are those where both sides answer within what the spec documents, only for
different data: one side finds a record the other does not (2xx vs a documented 404, 409 or 410), or
a documented optional field is set in one answer and left out of the other. They say nothing about
behaviour, so `diff` reports them apart and does not fail on them unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemathesis import Response

from mockserver.consumers.fields import FieldDoc, schema_fields
from mockserver.contract.probing import response_json
from mockserver.contract.shapes import MISSING_VS_PRESENT, PRESENT_VS_MISSING, shape_difference_items
from mockserver.http.negotiation import response_key_for
from mockserver.spec.model import Operation, Spec

STATUS = "status"
CONTENT_TYPE = "content type"
RESPONSE_SHAPE = "response shape"
ERROR_BODY_SHAPE = "error body shape"
DATA_DEPENDENT = "data-dependent"
# Statuses that answer for the data a request names rather than for the request itself.
_DATA_STATUSES = frozenset({404, 409, 410})


@dataclass(frozen=True)
class Difference:
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


def classify(server: Response, mock: Response, operation: Operation, spec: Spec) -> list[Difference]:
    """Every difference between the two answers to one request, classified (empty when they agree)."""
    differences: list[Difference] = []
    if server.status_code != mock.status_code:
        differences.append(_status_difference(server.status_code, mock.status_code, operation))
    server_type, mock_type = media_type(server), media_type(mock)
    if server_type != mock_type:
        shown = f"server {server_type or 'none'}, mock {mock_type or 'none'}"
        differences.append(Difference(CONTENT_TYPE, shown))
    server_json, server_body = response_json(server)
    mock_json, mock_body = response_json(mock)
    # Bodies of different statuses are different documents; comparing their shapes says nothing more.
    if server_json and mock_json and server.status_code == mock.status_code:
        fields = _documented_fields(spec, operation, server.status_code, server_type)
        shape = RESPONSE_SHAPE if 200 <= server.status_code < 300 else ERROR_BODY_SHAPE
        for pointer, detail in shape_difference_items(server_body, mock_body):
            optional = detail in (PRESENT_VS_MISSING, MISSING_VS_PRESENT) and _optional(fields, pointer)
            text = f"{pointer or '/'}: {detail} (server vs mock)"
            differences.append(Difference(DATA_DEPENDENT if optional else shape, text))
    return differences


def _status_difference(server: int, mock: int, operation: Operation) -> Difference:
    text = f"server {server}, mock {mock}"
    documented = all(response_key_for(operation, status) not in (None, "default")
                     for status in (server, mock))
    if documented and all(200 <= status < 300 or status in _DATA_STATUSES for status in (server, mock)):
        return Difference(DATA_DEPENDENT, f"status {text}: both documented, for different data")
    if server // 100 != mock // 100:
        text += f" ({server // 100}xx vs {mock // 100}xx)"
    return Difference(STATUS, text)


def _documented_fields(spec: Spec, operation: Operation, status: int,
                       media: str | None) -> dict[str, FieldDoc]:
    key = response_key_for(operation, status)
    if key is None or media is None:
        return {}
    documented = operation.responses[key].content.get(media)
    if documented is None or documented.schema_pointer is None:
        return {}
    return schema_fields(documented.schema, documented.schema_pointer, spec.resolve_ref)


def _optional(fields: dict[str, FieldDoc], pointer: str) -> bool:
    """A field the spec documents and does not require (an undocumented one is a shape difference)."""
    found = fields.get(pointer)
    return found is not None and not found.required


def media_type(response: Response) -> str | None:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";", 1)[0].strip().lower() or None

