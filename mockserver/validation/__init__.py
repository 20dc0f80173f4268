"""Request validation: raw request -> typed values, or FastAPI-exact error items and the answer for them.

    validator = RequestValidator(spec, operation)                  # once per operation
    renderer = FailureRenderer(spec, operation, documented)         # once per operation
    outcome = validator.validate(RequestData(...))                 # ValidRequest | list[ErrorItem]
    if not isinstance(outcome, ValidRequest):
        answer = renderer.render(outcome)                          # 422 FastAPI body, problem+json, or 415

A Content-Type the operation does not document yields a single item of type `unsupported_media_type`
(`is_unsupported_media_type(errors)`); the renderer answers it with status 415.
"""

from typing import TYPE_CHECKING, Any

from mockserver.validation.errors import UNSUPPORTED_MEDIA_TYPE, ErrorItem, is_unsupported_media_type
from mockserver.validation.render import FailureRenderer
from mockserver.validation.request import RequestData, ValidRequest

if TYPE_CHECKING:
    from mockserver.validation.validator import RequestValidator


def __getattr__(name: str) -> Any:
    # The validator builds on pydantic's types, slow to import: not before a request needs it.
    if name == "RequestValidator":
        from mockserver.validation.validator import RequestValidator

        return RequestValidator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "UNSUPPORTED_MEDIA_TYPE",
    "ErrorItem",
    "FailureRenderer",
    "RequestData",
    "RequestValidator",
    "ValidRequest",
    "is_unsupported_media_type",
]
