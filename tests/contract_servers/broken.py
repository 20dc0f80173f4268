"""Variants of the conforming server, each breaking the contract exactly one way.

`BROKEN` maps a name to the server and the check that must catch it; `HARMLESS` lists servers that
differ from the conforming one only in ways the contract allows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contract_servers.dayzero import BUSINESS_A, DayZeroServer

SLOW_SECONDS = 0.6
SLOW_BUDGET_SECONDS = 0.3


class MissingRequiredField(DayZeroServer):
    """Credit memos come without `reason_display`, which the schema requires."""

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        record = super().memo_record(memo)
        del record["reason_display"]
        return record


class WrongType(DayZeroServer):
    """The list's `has_prev` is the string "false" instead of a boolean."""

    def list_response(self, body: dict[str, Any]) -> Response:
        return self.ok({**body, "has_prev": "false"})


class NullInRequiredField(DayZeroServer):
    """Credit memos carry `reason: null`; the field is required and not nullable."""

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        return {**super().memo_record(memo), "reason": None}


class UndocumentedStatus(DayZeroServer):
    """An empty page is answered with 204 No Content, which the list does not document."""

    def list_response(self, body: dict[str, Any]) -> Response:
        return Response(status_code=204) if not body["items"] else self.ok(body)


class WrongContentType(DayZeroServer):
    """JSON bodies are sent as text/plain."""

    def ok(self, body: Any) -> Response:
        return JSONResponse(body, media_type="text/plain")


class AuthIgnored(DayZeroServer):
    """No token or business id is required; a missing business id falls back to a default one."""

    def authenticate(self, request: Request) -> Response | None:
        return None

    def business_of(self, request: Request) -> str:
        return request.headers.get("x-business-id", BUSINESS_A).lower()


class InvalidEnumAccepted(DayZeroServer):
    """Any `status` filter is taken (and matches nothing) instead of being rejected with 422."""

    accepted_statuses = None


class MalformedDate(DayZeroServer):
    """`issue_date` is written 03/01/2024 instead of an ISO date."""

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        return {**super().memo_record(memo), "issue_date": "03/01/2024"}


class ServerErrorOnEdge(DayZeroServer):
    """An empty `search` (a valid string) crashes the search parser: 500."""

    def search_term(self, search: str | None) -> str | None:
        if search is None:
            return None
        return search[1:] if search[0] == "#" else search  # the bug: "" has no first character


class ErrorBodyWrongShape(DayZeroServer):
    """404 and 422 answers use `{"error": {...}}` instead of the documented `{"detail": ...}`."""

    def error(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        if status in (404, 422):
            return JSONResponse({"error": {"code": status, "message": str(body)}}, status, headers=headers)
        return super().error(status, body, headers)


class SlowResponses(DayZeroServer):
    """The first list requests (a cold cache) take longer than the response-time budget."""

    def __init__(self, slow_requests: int = 3) -> None:
        self.slow_requests = slow_requests

    async def list_memos(self, request: Request, business: str) -> Response:
        if self.slow_requests > 0:
            self.slow_requests -= 1
            await asyncio.sleep(SLOW_SECONDS)
        return await super().list_memos(request, business)


class SummaryTotalMismatch(DayZeroServer):
    """A customer's total available credit is off by one dollar from the sum of the listed memos."""

    def summary_total(self, records: list[dict[str, Any]]) -> int:
        return super().summary_total(records) + 100


class TenantLeak(DayZeroServer):
    """Every business sees every business's records."""

    def visible(self, records: list[dict[str, Any]], business: str) -> list[dict[str, Any]]:
        return list(records)


class ExtraProperties(DayZeroServer):
    """Adds undocumented properties everywhere, which the schemas allow."""

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        return {**super().memo_record(memo), "internal_score": 7, "tags": ["a"]}

    def vendor_record(self, credit: dict[str, Any]) -> dict[str, Any]:
        return {**super().vendor_record(credit), "internal_score": 7}

    def ok(self, body: Any) -> Response:
        return JSONResponse({**body, "request_id": "req_1"} if isinstance(body, dict) else body)


class OwnConventions(DayZeroServer):
    """Where the reference is silent, decides its own way: applications name their amount `amount` (the
    published facts name only id, credit_memo_id and invoice_id), drafts and fully applied memos can be
    voided, and a memo's reason may be a code the pages never showed."""

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        record = super().memo_record(memo)
        record["applications"] = [
            {"id": app["id"], "credit_memo_id": app["credit_memo_id"], "invoice_id": app["invoice_id"],
             "amount": app["amount_applied"], "amount_in_dollars": app["amount_applied_dollars"]}
            for app in record["applications"]
        ]
        record["can_be_voided"] = record["status"] != "void"
        record["reason"], record["reason_display"] = "chargeback", "Chargeback"
        return record

    def vendor_record(self, credit: dict[str, Any]) -> dict[str, Any]:
        record = super().vendor_record(credit)
        record["bill_applications"] = [
            {"id": app["id"], "vendor_credit_id": app["vendor_credit_id"], "bill_id": app["bill_id"],
             "amount": app["amount_applied"]}
            for app in record["bill_applications"]
        ]
        record["can_be_voided"] = record["status"] != "void"
        return record


@dataclass(frozen=True)
class Breakage:
    """A broken server and the check that must catch it (plus any check its breakage also trips)."""

    server: type[DayZeroServer]
    check: str
    also: frozenset[str] = frozenset()

    @property
    def checks(self) -> set[str]:
        return {self.check, *self.also}


BROKEN: dict[str, Breakage] = {
    "missing-required-field": Breakage(MissingRequiredField, "response_schema_conformance"),
    "wrong-type": Breakage(WrongType, "response_schema_conformance"),
    "null-in-required-field": Breakage(NullInRequiredField, "response_schema_conformance"),
    "undocumented-status": Breakage(UndocumentedStatus, "status_code_conformance"),
    "wrong-content-type": Breakage(WrongContentType, "content_type_conformance"),
    "auth-ignored": Breakage(AuthIgnored, "auth_enforcement"),
    "invalid-enum-accepted": Breakage(InvalidEnumAccepted, "negative_data_rejection"),
    "malformed-date": Breakage(MalformedDate, "response_schema_conformance"),
    # A 500 is an undocumented status too, so schemathesis' status check fails along with it.
    "500-on-valid-edge-input": Breakage(ServerErrorOnEdge, "not_a_server_error",
                                        frozenset({"status_code_conformance"})),
    "error-body-wrong-shape": Breakage(ErrorBodyWrongShape, "response_schema_conformance"),
    "slower-than-budget": Breakage(SlowResponses, "max_response_time"),
    "summary-total-disagrees": Breakage(SummaryTotalMismatch, "domain_rules"),
    # The bundled rules also say a credit's business_id is the business asked for.
    "tenant-records-leak": Breakage(TenantLeak, "tenant_isolation", frozenset({"domain_rules"})),
}

HARMLESS: dict[str, type[DayZeroServer]] = {
    "conforming": DayZeroServer,
    "extra-undocumented-properties": ExtraProperties,
    "own-conventions-where-the-pages-are-silent": OwnConventions,
}
