"""Sending a variant of a request a check has seen (other headers), recorded so it can be reproduced."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis import Case, CheckContext, Response, transport

# Headers the transport sets itself; copying them into a variant would send stale values.
_TRANSPORT_HEADERS = frozenset({"content-length", "host", "transfer-encoding", "x-schemathesis-testcaseid"})


def sent_headers(response: Response) -> dict[str, str]:
    """The headers a response's request actually carried (configured and generated ones alike)."""
    request = response.request
    return {
        name: str(value)
        for name, value in request.headers.items()
        if name.lower() not in _TRANSPORT_HEADERS
    }


def sent_header(response: Response, name: str) -> str | None:
    value = response.request.headers.get(name)
    return None if value is None else str(value)


def response_json(response: Response) -> tuple[bool, Any]:
    """(True, body) when the response has a JSON body, else (False, None)."""
    content_type = (response.headers.get("content-type") or [""])[0].lower()
    if "json" not in content_type or not response.content:
        return False, None
    try:
        return True, response.json()
    except ValueError:
        return False, None


def send_variant(ctx: CheckContext, case: Case, headers: Mapping[str, str]) -> tuple[Case, Response]:
    """Send `case` again with exactly `headers`; the variant is recorded as a child of `case`."""
    variant = case.derive(headers=CaseInsensitiveDict(headers))
    kwargs = _transport_kwargs(ctx)
    if case.operation.app is not None:
        kwargs.setdefault("app", case.operation.app)
    ctx.internals.record_case(parent_id=case.id, case=variant)
    response = transport.get(kwargs.get("app")).send(variant, **kwargs)
    ctx.internals.record_response(case_id=variant.id, response=response)
    return variant, response


def send_to_app(
    ctx: CheckContext, case: Case, headers: Mapping[str, str], app: Any, base_url: str,
    path_parameters: Mapping[str, Any] | None = None,
) -> Response:
    """Send the same request (with other headers, and path parameters when given) to another in-process
    ASGI server; not recorded."""
    variant = case.derive(headers=CaseInsensitiveDict(headers))
    if path_parameters:
        variant.path_parameters.update(path_parameters)
    kwargs = _transport_kwargs(ctx)
    kwargs.pop("timeout", None)
    return transport.get(app).send(variant, **kwargs, app=app, base_url=base_url)


def _transport_kwargs(ctx: CheckContext) -> dict[str, Any]:
    kwargs = dict(ctx.internals.transport_kwargs or {})
    # The session and the configured headers would add back what the variant leaves out.
    kwargs.pop("session", None)
    kwargs.pop("headers", None)
    return kwargs
