"""A consumer contract as a person reads it: per operation, what was sent and what was relied on."""

from __future__ import annotations

import json
import textwrap

from mockserver.consumers import kinds
from mockserver.consumers.model import ConsumerContract, Interaction, ParameterUse

WIDTH = 100
_KEEP_TOGETHER = "\u00a0"  # a field and its type stay on one line


def render(contract: ConsumerContract) -> str:
    operations = contract.operations()
    count = sum(len(interactions) for interactions in operations.values())
    spec = contract.spec
    lines = [f"Consumer {contract.consumer}: {len(operations)} operation(s), {count} interaction(s)",
             f"Recorded against {spec.title or 'a spec'} {spec.version}".rstrip()
             + (f" (sha256 {spec.sha256[:12]})" if spec.sha256 else "")]
    states = contract.states()
    if states:
        lines.append(f"Provider states needed: {', '.join(states)}")
    for operation, interactions in operations.items():
        operation_id = contract.operation_ids.get(operation)
        lines += ["", operation + (f"  ({operation_id})" if operation_id else "")]
        for number, interaction in enumerate(interactions, 1):
            lines += _interaction(number, interaction)
    return "\n".join(lines)


def _interaction(number: int, interaction: Interaction) -> list[str]:
    times = f", {interaction.count} time(s)" if interaction.count != 1 else ""
    answer = f"{interaction.status} {interaction.media_type or '(no body)'}"
    served = ", ".join(sorted(interaction.served))
    lines = [f"  {number}. -> {answer}  (served: {served}{times})"]
    if interaction.state:
        lines.append(f"     state: {interaction.state}")
    sent = [_sent(use, interaction) for use in interaction.request.parameters if use.kind != kinds.ABSENT]
    not_sent = [use.name for use in interaction.request.parameters if use.kind == kinds.ABSENT]
    request = interaction.request
    if request.body_media_type is not None:
        sent.append(f"body {request.body_media_type} ({request.body_kind}, "
                    f"{len(interaction.body_fields)} field(s))")
    lines += _wrapped("sent: ", ", ".join(item.replace(" ", _KEEP_TOGETHER) for item in sent) or "nothing")
    if not_sent:
        lines += _wrapped("not sent: ", ", ".join(not_sent))
    if interaction.fields:
        fields = ", ".join(f"{pointer or '(body)'}{_KEEP_TOGETHER}{'|'.join(sorted(types))}"
                           for pointer, types in sorted(interaction.fields.items()))
        lines += _wrapped(f"relies on {len(interaction.fields)} field(s): ", fields)
    return lines


def _sent(use: ParameterUse, interaction: Interaction) -> str:
    if use.value is not None:
        return f"{use.location} {use.name}={json.loads(use.value)} ({use.kind})"
    example = interaction.examples.get(f"{use.location}.{use.name}")
    shown = f", e.g. {example}" if example is not None else ""
    return f"{use.location} {use.name} ({use.kind} {use.type}{shown})"


def _wrapped(label: str, text: str) -> list[str]:
    lines = textwrap.wrap(text, WIDTH, initial_indent="     " + label, subsequent_indent="       ",
                          break_on_hyphens=False, break_long_words=False)
    return [line.replace(_KEEP_TOGETHER, " ") for line in lines]
