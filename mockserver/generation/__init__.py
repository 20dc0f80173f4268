"""Generated responses: realistic, deterministic bodies that validate and obey the spec owner's rules.

Used when no fixture answers a request, when the client sends `Prefer: dynamic=true`, or when the
server runs with `--mode generate`. See `generator` for the pipeline.
"""

from mockserver.generation.draws import PlanOptions
from mockserver.generation.errors import GenerationError
from mockserver.generation.generator import RequestContext, ResponseGenerator
from mockserver.generation.realism import DateWindow

__all__ = ["DateWindow", "GenerationError", "PlanOptions", "RequestContext", "ResponseGenerator"]
