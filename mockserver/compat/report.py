"""The compat report: breaking changes first (with the consumers they affect), then the safe ones."""

from __future__ import annotations

import json
from typing import Any

from mockserver.compat.changes import Change


def render(changes: list[Change], *, with_consumers: bool) -> str:
    breaking = [change for change in changes if change.breaking and (change.consumers or not with_consumers)]
    unused = [change for change in changes if change.breaking and with_consumers and not change.consumers]
    safe = [change for change in changes if not change.breaking]
    sections = []
    if breaking:
        sections.append(_section(f"Breaking changes ({len(breaking)})", breaking))
    if unused:
        title = f"Breaking for some client, but no consumer uses it ({len(unused)})"
        sections.append(_section(title, unused))
    if safe:
        sections.append(_section(f"Safe changes ({len(safe)})", safe))
    if not changes:
        sections.append("No change.")
    if breaking:
        sections.append(f"BREAKING: {len(breaking)} breaking change(s)")
    else:
        sections.append(f"OK: no breaking change ({len(changes)} change(s))")
    return "\n\n".join(sections)


def _section(title: str, changes: list[Change]) -> str:
    lines = [title]
    for number, change in enumerate(changes, 1):
        lines.append(f"{number:>3}. [{change.kind}] {change.operation}: {change.where}: {change.detail}")
        lines.append(f"     old: {change.old_pointer or '-'}")
        lines.append(f"     new: {change.new_pointer or '-'}")
        if change.consumers:
            lines.append(f"     used by: {', '.join(change.consumers)}")
    return "\n".join(lines)


def as_json(changes: list[Change], *, with_consumers: bool) -> str:
    failing = [change for change in changes if change.breaking and (change.consumers or not with_consumers)]
    data: dict[str, Any] = {"breaking": len(failing), "changes": [change.as_data() for change in changes]}
    return json.dumps(data, indent=2, ensure_ascii=False)
