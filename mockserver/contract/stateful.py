"""Schemathesis' stateful phase in a contract run: where its links must be left alone, and what it covered.

The phase chains requests through the links the spec declares and those schemathesis infers (from the
spec's dependencies and from `Location` headers), and judges the chains with `use_after_free` (a deleted
resource is gone) and `ensure_resource_availability` (a created resource can be read), next to every
other check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.spec.model import Spec


def _segments(path: str) -> tuple[str, ...]:
    """`/users/{user_id}/items/` -> ("users", "{}", "items"): parameter names do not matter."""
    return tuple("{}" if segment.startswith("{") else segment for segment in path.split("/") if segment)


class CreatedResources:
    """The operations whose path a POST writes to (the POST's own path, or one below it).

    In the stateful phase their path parameters are what schemathesis chose: a link's value, or a generated
    one. A real id swapped in there would break the chain the stateful checks judge, and would be taken for
    a link's value (a 404 for it would read as "the resource just created cannot be read").
    """

    def __init__(self, spec: Spec) -> None:
        posts = [operation for operation in spec.operations if operation.method == "POST"]
        self._posts = {_segments(operation.path) for operation in posts}

    def written_by_post(self, path: str) -> bool:
        segments = _segments(path)
        return any(segments[: len(post)] == post for post in self._posts)


@dataclass
class StatefulSummary:
    """What the stateful phase did: its scenarios and requests, and the links it could and did follow."""

    links: int = 0
    inferred: int = 0
    scenarios: int = 0
    requests: int = 0
    followed: set[str] = field(default_factory=set)

    def add_scenario(self, recorder: Any) -> None:
        """Count one scenario (a `ScenarioRecorder`) and the links its requests followed."""
        self.scenarios += 1
        self.requests += len(recorder.interactions)
        self.followed.update(node.transition.id for node in recorder.cases.values()
                             if node.transition is not None and node.is_transition_applied)

    def __str__(self) -> str:
        inferred = f", {self.inferred} inferred" if self.inferred else ""
        return (f"Stateful phase: {self.scenarios} scenario(s), {self.requests} request(s); "
                f"{len(self.followed)} of {self.links} link(s) followed ({self.links - self.inferred} "
                f"declared{inferred})")
