"""A request's headers read as starlette's `Headers` read them: any case, the first of repeated names."""

from __future__ import annotations

import pytest

from mockserver.http.headers import RequestHeaders


def _headers(*pairs: tuple[bytes, bytes]) -> RequestHeaders:
    return RequestHeaders({"type": "http", "headers": list(pairs)})


def test_names_are_read_in_any_case_and_the_first_of_a_repeated_name_wins():
    headers = _headers((b"x-request-id", b"1"), (b"accept", b"application/json"), (b"x-request-id", b"2"))
    assert headers.get("X-Request-Id") == headers["x-request-id"] == "1"
    assert "ACCEPT" in headers and headers.getlist("x-request-id") == ["1", "2"]


def test_a_name_no_request_can_carry_is_simply_absent():
    headers = _headers((b"accept", b"*/*"))
    assert headers.get("caf\u00e9\u2603", "none") == "none" and "\u2603" not in headers and 7 not in headers
    with pytest.raises(KeyError):
        headers["\u2603"]
    assert headers.get("x-missing") is None


def test_values_are_latin_1_as_servers_give_them():
    headers = _headers((b"x-name", "Andr\u00e9".encode("latin-1")))
    assert headers["X-Name"] == "Andr\u00e9"
