"""A tiny, conforming implementation of the bundled API (three credit operations), FastAPI-style.

It enforces auth before anything else (bearer token: 401; business id: 403), validates parameters
strictly (422 with FastAPI's error list), scopes every record to the requested business, and keeps
the domain's arithmetic (remaining = amount - applied, dollars = cents / 100, summary totals = sum of
the listed records' remaining amounts). Each part is a method, so a broken variant overrides one.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BUSINESS_A = "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83"
BUSINESS_B = "9b1e4d27-6c3a-4f85-a0d2-7e5b8c9f1a64"
MEMO_STATUSES = ("draft", "issued", "partially_applied", "fully_applied", "void")
AVAILABLE = ("issued", "partially_applied")
STAMP = "2024-03-01T10:00:00Z"


async def http_error(request: Request, error: Exception) -> Response:
    """Routing errors (404, 405) as FastAPI answers them: JSON `{"detail": ...}`."""
    assert isinstance(error, HTTPException)
    return JSONResponse({"detail": error.detail}, error.status_code, headers=error.headers)


class ParameterError(Exception):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("invalid parameters")
        self.errors = errors


def dollars(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _memo(business: str, number: int, party: str, party_id: str, amount: int, applied: int,
          status: str) -> dict[str, Any]:
    return {"business": business, "number": number, "party": party, "party_id": party_id,
            "amount": amount, "applied": applied, "status": status}


MEMOS = [
    _memo(BUSINESS_A, 1, "customer", "cus_a1", 15000, 0, "issued"),
    _memo(BUSINESS_A, 2, "customer", "cus_a1", 8000, 3000, "partially_applied"),
    _memo(BUSINESS_A, 3, "customer", "cus_a2", 5000, 5000, "fully_applied"),
    _memo(BUSINESS_A, 4, "customer", "cus_a2", 2500, 0, "draft"),
    _memo(BUSINESS_B, 5, "customer", "cus_b1", 9900, 0, "issued"),
]
VENDOR_CREDITS = [
    _memo(BUSINESS_A, 1, "vendor", "ven_a1", 12000, 2000, "partially_applied"),
    _memo(BUSINESS_A, 2, "vendor", "ven_a1", 4000, 0, "issued"),
    _memo(BUSINESS_B, 3, "vendor", "ven_b1", 7000, 0, "issued"),
]


class DayZeroServer:
    """The conforming server; `app()` builds the Starlette app."""

    accepted_statuses: tuple[str, ...] | None = MEMO_STATUSES  # None: any value is taken

    def app(self) -> Starlette:
        return Starlette(exception_handlers={HTTPException: http_error}, routes=[
            Route("/api/v1/credit-memos", self._endpoint(self.list_memos), methods=["GET"]),
            Route("/api/v1/credit-memos/customers/{customer_id}/credits",
                  self._endpoint(self.customer_credits), methods=["GET"]),
            Route("/api/v1/vendor-credits/vendors/{vendor_id}/credits",
                  self._endpoint(self.vendor_credits), methods=["GET"]),
        ])

    def _endpoint(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            denied = self.authenticate(request)
            if denied is not None:
                return denied
            try:
                return await handler(request, self.business_of(request))
            except ParameterError as error:
                return self.error(422, {"detail": error.errors})
            except Exception:  # what a real server's error middleware answers
                return PlainTextResponse("Internal Server Error", 500)
        return endpoint

    # --- pieces a broken variant overrides -------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self.error(401, {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"})
        try:
            uuid.UUID(request.headers.get("x-business-id", ""))
        except ValueError:
            return self.error(403, {"detail": "Not enough permissions"})
        return None

    def business_of(self, request: Request) -> str:
        return request.headers["x-business-id"].lower()

    def error(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(body, status, headers=headers)

    def ok(self, body: Any) -> Response:
        return JSONResponse(body)

    def memo_record(self, memo: dict[str, Any]) -> dict[str, Any]:
        return memo_record(memo)

    def vendor_record(self, credit: dict[str, Any]) -> dict[str, Any]:
        return vendor_record(credit)

    def visible(self, records: list[dict[str, Any]], business: str) -> list[dict[str, Any]]:
        return [record for record in records if record["business"] == business]

    def summary_total(self, records: list[dict[str, Any]]) -> int:
        return sum(record["amount_remaining"] for record in records)

    def page_size(self, limit: int) -> int:
        return max(limit, 0)

    def search_term(self, search: str | None) -> str | None:
        return search

    def list_response(self, body: dict[str, Any]) -> Response:
        return self.ok(body)

    async def list_memos(self, request: Request, business: str) -> Response:
        query = read_list_query(request, self.accepted_statuses)
        query["search"] = self.search_term(query["search"])
        memos = [self.memo_record(memo) for memo in self.visible(MEMOS, business)]
        memos = [memo for memo in memos if matches(memo, query)]
        page = memos[: self.page_size(query["limit"])]
        has_next = len(page) < len(memos)
        return self.list_response({"items": page, "total": len(memos), "limit": query["limit"],
                                   "next_cursor": f"cur_{len(page)}" if has_next else None,
                                   "prev_cursor": None, "has_next": has_next, "has_prev": False})

    async def customer_credits(self, request: Request, business: str) -> Response:
        customer_id = request.path_params["customer_id"]
        memos = [m for m in self.visible(MEMOS, business) if m["party_id"] == customer_id]
        if not memos:
            return self.error(404, {"detail": "Customer not found"})
        records = [self.memo_record(m) for m in memos if m["status"] in AVAILABLE]
        total = self.summary_total(records)
        return self.ok({"customer_id": customer_id, "customer_name": f"Customer {customer_id}",
                        "total_credits_available": total, "total_credits_available_dollars": dollars(total),
                        "credit_memos_count": len(records), "credit_memos": records})

    async def vendor_credits(self, request: Request, business: str) -> Response:
        vendor_id = request.path_params["vendor_id"]
        credits = [c for c in self.visible(VENDOR_CREDITS, business) if c["party_id"] == vendor_id]
        if not credits:
            return self.error(404, {"detail": "Vendor not found"})
        records = [self.vendor_record(c) for c in credits if c["status"] in AVAILABLE]
        total = self.summary_total(records)
        return self.ok({"vendor_id": vendor_id, "vendor_name": f"Vendor {vendor_id}",
                        "total_credits_available": total, "total_credits_available_dollars": dollars(total),
                        "vendor_credits_count": len(records), "vendor_credits": records})


def _amounts(memo: dict[str, Any], applied_date: bool) -> dict[str, Any]:
    remaining = memo["amount"] - memo["applied"]
    return {
        "currency": "USD", "amount": memo["amount"], "amount_in_dollars": dollars(memo["amount"]),
        "amount_applied": memo["applied"], "amount_applied_in_dollars": dollars(memo["applied"]),
        "amount_remaining": remaining, "amount_remaining_in_dollars": dollars(remaining),
        "issue_date": "2024-03-01", "applied_date": STAMP if applied_date else None,
        "created_at": STAMP, "updated_at": STAMP,
        "reason": "pricing_error", "reason_display": "Pricing error",
        "description": None, "internal_notes": None, "line_items": None, "voided_at": None,
        "voided_reason": None,
        "can_be_applied": memo["status"] in AVAILABLE and remaining > 0,
        "can_be_voided": memo["status"] in AVAILABLE, "can_be_deleted": memo["status"] == "draft",
        "has_applications": memo["applied"] > 0,
    }


def _application(record_id: str, owner_key: str, target_key: str, amount: int) -> dict[str, Any]:
    return {"id": f"app_{record_id}", owner_key: record_id, target_key: f"{target_key[:-3]}_{record_id}",
            "amount_applied": amount, "amount_applied_dollars": dollars(amount), "applied_at": STAMP,
            "created_at": STAMP}


def memo_record(memo: dict[str, Any]) -> dict[str, Any]:
    number = memo["number"]
    record_id = f"cm_{number:03d}"
    applications = [_application(record_id, "credit_memo_id", "invoice_id", memo["applied"])] \
        if memo["applied"] else []
    return {"id": record_id, "business_id": memo["business"], "customer_id": memo["party_id"],
            "invoice_id": None, "number": f"CM-{number:04d}", "status": memo["status"],
            **_amounts(memo, applied_date=memo["applied"] > 0),
            "customer_name": f"Customer {memo['party_id']}", "invoice_number": None,
            "applications": applications}


def vendor_record(credit: dict[str, Any]) -> dict[str, Any]:
    number = credit["number"]
    record_id = f"vc_{number:03d}"
    applications = [_application(record_id, "vendor_credit_id", "bill_id", credit["applied"])] \
        if credit["applied"] else []
    return {"id": record_id, "business_id": credit["business"], "vendor_id": credit["party_id"],
            "bill_id": None, "number": f"VC-{number:04d}", "vendor_credit_number": None,
            # a vendor credit's applied_date is set once it is fully applied
            "status": credit["status"], **_amounts(credit, applied_date=credit["status"] == "applied"),
            "vendor_name": f"Vendor {credit['party_id']}",
            "bill_number": None, "bill_applications": applications}


def _query_error(name: str, kind: str, message: str, value: str) -> dict[str, Any]:
    return {"type": kind, "loc": ["query", name], "msg": message, "input": value}


def read_list_query(request: Request, statuses: tuple[str, ...] | None) -> dict[str, Any]:
    """The list's query parameters, validated the way FastAPI does; ParameterError lists every problem."""
    params = request.query_params
    errors = []
    status = params.get("status")
    if status is not None and statuses is not None and status not in statuses:
        errors.append(_query_error("status", "enum", "Input should be a valid status", status))
    remaining = params.get("has_remaining_balance", "false")
    if remaining not in ("true", "false"):
        errors.append(_query_error("has_remaining_balance", "bool_parsing", "Input should be a valid boolean",
                                   remaining))
    limit = params.get("limit", "50")
    if not limit.lstrip("-").isdigit() or not limit.isascii():
        errors.append(_query_error("limit", "int_parsing", "Input should be a valid integer", limit))
    if errors:
        raise ParameterError(errors)
    return {"status": status, "has_remaining_balance": remaining == "true", "limit": int(limit),
            "customer_id": params.get("customer_id"), "search": params.get("search")}


def matches(memo: dict[str, Any], query: dict[str, Any]) -> bool:
    if query["status"] is not None and memo["status"] != query["status"]:
        return False
    if query["customer_id"] is not None and memo["customer_id"] != query["customer_id"]:
        return False
    if query["has_remaining_balance"] and memo["amount_remaining"] <= 0:
        return False
    return not query["search"] or query["search"].lower() in memo["number"].lower()
