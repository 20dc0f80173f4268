"""Which consumers a change affects: those whose recorded interactions use what changed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from mockserver.compat.changes import Change, Usage
from mockserver.consumers import kinds
from mockserver.consumers.model import ConsumerContract, Interaction


def affected_consumers(change: Change, contracts: Iterable[ConsumerContract]) -> list[str]:
    """The names of the consumers that use what `change` changed, sorted."""
    usage = change.usage
    names = set()
    for contract in contracts:
        interactions = [interaction for interaction in contract.interactions.values()
                        if _same_operation(interaction.operation, usage.operation)]
        if any(uses(interaction, usage) for interaction in interactions):
            names.add(contract.consumer)
    return sorted(names)


def _same_operation(recorded: str, operation: str) -> bool:
    return _template(recorded) == _template(operation)


def _template(key: str) -> str:
    return re.sub(r"{[^}]*}", "{}", key)


def uses(interaction: Interaction, usage: Usage) -> bool:
    """Whether one interaction uses what `usage` names."""
    aspect = usage.aspect
    if aspect == "operation":
        return True
    if aspect in ("status", "response_media", "response_field"):
        return _response_uses(interaction, usage)
    if aspect.startswith("parameter"):
        return _parameter_uses(interaction, usage)
    return _body_uses(interaction, usage)


def status_matches(status: int, key: str, others: Iterable[str]) -> bool:
    """Whether a status is answered under a response key ("404", "4XX", or "default": the rest)."""
    if key == "default":
        return not any(status_matches(status, other, ()) for other in others if other != "default")
    if len(key) == 3 and key[1:].upper() == "XX":
        return str(status)[0] == key[0]
    return str(status) == key


def _response_uses(interaction: Interaction, usage: Usage) -> bool:
    if usage.status is None or not status_matches(interaction.status, usage.status, usage.other_statuses):
        return False
    if usage.aspect == "status":
        return True
    if usage.media_type is not None and interaction.media_type != usage.media_type.lower():
        return False
    if usage.aspect == "response_media":
        return True
    return _has_field(interaction.fields, usage.pointer or "")


def _has_field(fields: dict[str, set[str]], pointer: str) -> bool:
    return any(name == pointer or name.startswith(pointer + "/") for name in fields)


def _parameter_uses(interaction: Interaction, usage: Usage) -> bool:
    use = interaction.parameter(usage.location or "", usage.name or "")
    sent = use is not None and use.kind != kinds.ABSENT
    if usage.aspect == "parameter_absent":
        return not sent
    if not sent or use is None:
        return False
    if usage.aspect == "parameter_value":
        return use.value is not None and _same_value(use.value, usage.values)
    if usage.aspect == "parameter_type":
        return use.type in usage.values or "any other type" in usage.values
    return True


def _same_value(value: str, values: tuple[str, ...]) -> bool:
    normalized = json.dumps(json.loads(value), sort_keys=True)
    return normalized in values


def _body_uses(interaction: Interaction, usage: Usage) -> bool:
    request = interaction.request
    if usage.aspect == "body_absent":
        return request.body_media_type is None
    if request.body_media_type is None:
        return False
    if usage.media_type is not None and request.body_media_type != usage.media_type.lower():
        return False
    if usage.aspect == "body":
        return True
    pointer = usage.pointer or ""
    if usage.aspect == "body_field_absent":
        parent = pointer.rsplit("/", 1)[0]
        return (parent == "" or parent in interaction.body_fields) and pointer not in interaction.body_fields
    return _has_field(interaction.body_fields, pointer)
