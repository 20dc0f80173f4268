"""The recorder's one tie to the mock's runtime: it watches a `MockApp`'s exchanges as an observer.

Everything the recorder needs from an exchange is copied into an `Observed` here, so the rest of the
package depends on the app's types in this one place only.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from mockserver.consumers.recorder import ConsumerRecorder, Observed
from mockserver.fixture_files import BASE_SET_NAME
from mockserver.http.negotiation import is_json
from mockserver.runtime.app import SCENARIO_HEADER, MockApp
from mockserver.runtime.journal import Exchange

logger = logging.getLogger("mockserver")


def attach(app: MockApp, recorder: ConsumerRecorder) -> None:
    """Record every exchange `app` answers from now on."""
    recorder.use(app.spec, app.config)

    def observe(exchange: Exchange) -> None:
        operation = None if exchange.operation is None else app.spec.operation_by_key(exchange.operation)
        if operation is None:
            return
        answer = exchange.answer
        headers = {name.lower(): value for name, value in exchange.headers.items()}
        scenario = headers.get(SCENARIO_HEADER) or app.state.scenario
        try:
            recorder.observe(Observed(
                operation=operation, path=exchange.path, query=tuple(exchange.query),
                headers=headers, body=exchange.body, status=answer.status, media_type=answer.media_type,
                response_body=_body(answer.body, answer.media_type), source=answer.source,
                scenario=None if scenario in (None, "", BASE_SET_NAME) else scenario,
            ))
        except Exception:  # recording must never cost a client its answer
            logger.exception("mockserver: could not record %s %s for its consumer contract",
                             exchange.method, exchange.path)

    app.observers.append(observe)


def _body(body: Any, media_type: str | None) -> Any:
    """The answer's body as data: a remembered answer holds its encoded bytes."""
    if isinstance(body, bytes) and media_type is not None and is_json(media_type.split(";")[0]):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
    return body
