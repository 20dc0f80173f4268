"""A consumer contract: what one consumer of an API asked for and relied on, as a versioned YAML file.

Per operation, a list of interactions. An interaction is one kind of request (each documented parameter's
kind of value, the body's media type and kind), the provider state it needs (a scenario, or a named
response the consumer asked for), and the answer it got: status, media type, where the mock's answer
came from, and every response field present with its JSON types. Values are kept only as examples
(secrets masked). Files are written with sorted keys and sorted lists: the same traffic gives the same
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.foundation.documents import FileReadError, read_source
from mockserver.foundation.problems import LoadError, Problem, display_name

FORMAT = "mockserver-consumer"
VERSION = 1
LOCATIONS = ("path", "query", "header", "cookie")
TYPE_SEPARATOR = "|"


@dataclass(frozen=True)
class ParameterUse:
    """How one documented parameter was used: its kind of value, the JSON type sent, an enum value."""

    location: str
    name: str
    kind: str  # absent | valid | boundary | invalid
    type: str | None = None  # JSON type of the value sent; None when absent
    value: str | None = None  # the value itself, for enum parameters (a constant of the spec), as JSON


@dataclass(frozen=True)
class RequestKind:
    """The kind of a request: what makes two requests the same for a provider."""

    parameters: tuple[ParameterUse, ...]
    body_media_type: str | None = None
    body_kind: str | None = None  # valid | invalid; None: no body


@dataclass
class Interaction:
    """One kind of request, in one provider state, and the answer with one status it got."""

    operation: str  # "GET /path"
    request: RequestKind
    state: str | None
    status: int
    media_type: str | None = None
    served: set[str] = field(default_factory=set)  # where the mock's answers came from
    fields: dict[str, set[str]] = field(default_factory=dict)  # response field -> JSON types received
    body_fields: dict[str, set[str]] = field(default_factory=dict)  # request body field -> JSON types sent
    examples: dict[str, str] = field(default_factory=dict)  # "location.name" -> a value sent (as text)
    body_example: Any = None  # a request body sent (secrets masked), for replaying
    count: int = 0

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.operation, self.request, self.state, self.status)

    def parameter(self, location: str, name: str) -> ParameterUse | None:
        return next((use for use in self.request.parameters
                     if use.location == location and use.name.lower() == name.lower()), None)

    def merge(self, other: Interaction) -> None:
        """Take in another observation (or file) of the same interaction."""
        self.count += other.count
        self.served |= other.served
        self.media_type = min(filter(None, (self.media_type, other.media_type)), default=None)
        _merge_fields(self.fields, other.fields)
        _merge_fields(self.body_fields, other.body_fields)
        for name, value in other.examples.items():
            self.examples[name] = smallest(self.examples.get(name), value)
        if other.body_example is not None:
            self.body_example = smallest(self.body_example, other.body_example)


def _merge_fields(into: dict[str, set[str]], more: dict[str, set[str]]) -> None:
    for pointer, types in more.items():
        into.setdefault(pointer, set()).update(types)


def smallest(current: Any, candidate: Any) -> Any:
    """The example to keep: the shortest, then the first in order, so any order of traffic keeps the same."""
    if current is None:
        return candidate
    return min((current, candidate), key=lambda value: (len(_canonical(value)), _canonical(value)))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class SpecIdentity:
    title: str = ""
    version: str = ""
    sha256: str = ""


@dataclass
class ConsumerContract:
    consumer: str
    spec: SpecIdentity = field(default_factory=SpecIdentity)
    operation_ids: dict[str, str] = field(default_factory=dict)  # "GET /path" -> operationId
    interactions: dict[tuple[Any, ...], Interaction] = field(default_factory=dict)

    def add(self, interaction: Interaction, operation_id: str | None = None) -> None:
        existing = self.interactions.get(interaction.key)
        if existing is None:
            self.interactions[interaction.key] = interaction
        else:
            existing.merge(interaction)
        if operation_id:
            self.operation_ids[interaction.operation] = operation_id

    def merge(self, other: ConsumerContract) -> None:
        for interaction in other.interactions.values():
            self.add(_copy(interaction), other.operation_ids.get(interaction.operation))
        if other.spec.sha256:
            self.spec = other.spec

    def operations(self) -> dict[str, list[Interaction]]:
        """Interactions by operation, both sorted."""
        grouped: dict[str, list[Interaction]] = {}
        for interaction in sorted(self.interactions.values(), key=_order):
            grouped.setdefault(interaction.operation, []).append(interaction)
        return dict(sorted(grouped.items()))

    def states(self) -> list[str]:
        return sorted({interaction.state for interaction in self.interactions.values() if interaction.state})


def _order(interaction: Interaction) -> tuple[Any, ...]:
    request = interaction.request
    parameters = [(use.location, use.name, use.kind, use.type or "", use.value or "")
                  for use in request.parameters]
    return (interaction.operation, interaction.state or "", interaction.status, parameters,
            request.body_media_type or "", request.body_kind or "")


def _copy(interaction: Interaction) -> Interaction:
    return Interaction(
        interaction.operation, interaction.request, interaction.state, interaction.status,
        interaction.media_type, set(interaction.served), {k: set(v) for k, v in interaction.fields.items()},
        {k: set(v) for k, v in interaction.body_fields.items()}, dict(interaction.examples),
        interaction.body_example, interaction.count,
    )


# --- to and from files ----------------------------------------------------------------------------


def to_data(contract: ConsumerContract) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for operation, interactions in contract.operations().items():
        entry: dict[str, Any] = {}
        if operation in contract.operation_ids:
            entry["operation_id"] = contract.operation_ids[operation]
        entry["interactions"] = [_interaction_data(interaction) for interaction in interactions]
        operations[operation] = entry
    return {
        "format": FORMAT,
        "version": VERSION,
        "consumer": contract.consumer,
        "spec": {"title": contract.spec.title, "version": contract.spec.version,
                 "sha256": contract.spec.sha256},
        "operations": operations,
    }


def _interaction_data(interaction: Interaction) -> dict[str, Any]:
    request: dict[str, Any] = {}
    parameters = []
    for use in interaction.request.parameters:
        item: dict[str, Any] = {"in": use.location, "name": use.name, "kind": use.kind}
        if use.type is not None:
            item["type"] = use.type
        if use.value is not None:
            item["value"] = json.loads(use.value)
        example = interaction.examples.get(f"{use.location}.{use.name}")
        if example is not None and use.value is None:
            item["example"] = example
        parameters.append(item)
    if parameters:
        request["parameters"] = parameters
    if interaction.request.body_media_type is not None:
        body: dict[str, Any] = {"media_type": interaction.request.body_media_type,
                                "kind": interaction.request.body_kind}
        if interaction.body_fields:
            body["fields"] = _fields_data(interaction.body_fields)
        if interaction.body_example is not None:
            body["example"] = interaction.body_example
        request["body"] = body
    response: dict[str, Any] = {"status": interaction.status}
    if interaction.media_type is not None:
        response["media_type"] = interaction.media_type
    response["served"] = sorted(interaction.served)
    if interaction.fields:
        response["fields"] = _fields_data(interaction.fields)
    data: dict[str, Any] = {"request": request}
    if interaction.state is not None:
        data["state"] = interaction.state
    data["response"] = response
    data["count"] = interaction.count
    return data


def _fields_data(fields: dict[str, set[str]]) -> dict[str, str]:
    """`pointer: type`, or `type|type` for a field seen with several (e.g. `string|null`)."""
    return {pointer: TYPE_SEPARATOR.join(sorted(types)) for pointer, types in sorted(fields.items())}


def dumps(contract: ConsumerContract) -> str:
    return dumps_data(to_data(contract))


def dumps_data(data: dict[str, Any]) -> str:
    """The file's text for what `to_data` made of a contract."""
    header = (f"# Consumer contract of {data['consumer']}, recorded by the mock (mockserver serve "
              "--consumer-out). Regenerate it rather than edit it.\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def write(contract: ConsumerContract, path: Path) -> None:
    write_data(to_data(contract), path)


def write_data(data: dict[str, Any], path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(dumps_data(data), encoding="utf-8")
    temporary.replace(path)


def contract_files(paths: Iterable[Path]) -> list[Path]:
    """The consumer contract files named: files as they are, folders by their `.yaml` files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(file for file in path.iterdir() if file.suffix in (".yaml", ".yml"))
        elif path.is_file():
            files.append(path)
        else:
            raise LoadError([Problem(str(path), "", "no such consumer contract file or folder")])
    return files


def load(path: Path) -> ConsumerContract:
    """Read a consumer contract file; a bad one raises LoadError naming the file and the JSON pointer."""
    try:
        source = read_source(path, display_name(path))
    except FileReadError as error:
        raise LoadError([error.problem]) from None
    return from_data(source.data, source.display)


class _Reader:
    """Reads the file's data, naming the JSON pointer of what is wrong."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, pointer: str, message: str) -> LoadError:
        return LoadError([Problem(self.file, pointer, message)])

    def mapping(self, value: Any, pointer: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(pointer, "expected a mapping")
        return value

    def sequence(self, value: Any, pointer: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(pointer, "expected a list")
        return value

    def text(self, value: Any, pointer: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(pointer, "expected a non-empty string")
        return value

    def fields(self, value: Any, pointer: str) -> dict[str, set[str]]:
        fields = {}
        for name, types in self.mapping(value or {}, pointer).items():
            if not isinstance(types, str) or not types:
                raise self.fail(f"{pointer}/{_escape(str(name))}", "expected JSON types, e.g. string|null")
            fields[str(name)] = set(types.split(TYPE_SEPARATOR))
        return fields


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def from_data(data: Any, file: str) -> ConsumerContract:
    read = _Reader(file)
    root = read.mapping(data, "")
    if root.get("format") != FORMAT:
        raise read.fail("/format", f"not a consumer contract (expected format: {FORMAT})")
    if root.get("version") != VERSION:
        raise read.fail("/version", f"unsupported version {root.get('version')!r} (this mockserver reads "
                                    f"version {VERSION})")
    consumer = read.text(root.get("consumer"), "/consumer")
    assert consumer is not None
    spec = read.mapping(root.get("spec") or {}, "/spec")
    contract = ConsumerContract(consumer, SpecIdentity(str(spec.get("title") or ""),
                                                       str(spec.get("version") or ""),
                                                       str(spec.get("sha256") or "")))
    for operation, entry in read.mapping(root.get("operations") or {}, "/operations").items():
        where = f"/operations/{_escape(str(operation))}"
        entry = read.mapping(entry, where)
        operation_id = read.text(entry.get("operation_id"), f"{where}/operation_id", optional=True)
        for index, item in enumerate(read.sequence(entry.get("interactions"), f"{where}/interactions")):
            contract.add(_read_interaction(read, str(operation), item, f"{where}/interactions/{index}"),
                         operation_id)
    return contract


def _read_interaction(read: _Reader, operation: str, item: Any, where: str) -> Interaction:
    item = read.mapping(item, where)
    request = read.mapping(item.get("request") or {}, f"{where}/request")
    uses: list[ParameterUse] = []
    examples: dict[str, str] = {}
    for index, raw in enumerate(read.sequence(request.get("parameters"), f"{where}/request/parameters")):
        place = f"{where}/request/parameters/{index}"
        raw = read.mapping(raw, place)
        location = read.text(raw.get("in"), f"{place}/in")
        if location not in LOCATIONS:
            raise read.fail(f"{place}/in", f"expected one of {', '.join(LOCATIONS)}")
        name = read.text(raw.get("name"), f"{place}/name")
        kind = read.text(raw.get("kind"), f"{place}/kind")
        assert name is not None and kind is not None
        value = json.dumps(raw["value"], sort_keys=True) if "value" in raw else None
        uses.append(ParameterUse(location, name, kind, read.text(raw.get("type"), f"{place}/type",
                                                                 optional=True), value))
        if raw.get("example") is not None:
            examples[f"{location}.{name}"] = str(raw["example"])
    body = read.mapping(request.get("body") or {}, f"{where}/request/body")
    response = read.mapping(item.get("response"), f"{where}/response")
    status = response.get("status")
    if not isinstance(status, int) or isinstance(status, bool):
        raise read.fail(f"{where}/response/status", "expected an HTTP status code")
    count = item.get("count", 1)
    return Interaction(
        operation=operation,
        request=RequestKind(tuple(sorted(uses, key=lambda use: (use.location, use.name))),
                            read.text(body.get("media_type"), f"{where}/request/body/media_type",
                                      optional=True),
                            read.text(body.get("kind"), f"{where}/request/body/kind", optional=True)),
        state=read.text(item.get("state"), f"{where}/state", optional=True),
        status=status,
        media_type=read.text(response.get("media_type"), f"{where}/response/media_type", optional=True),
        served={str(source) for source in read.sequence(response.get("served"), f"{where}/response/served")},
        fields=read.fields(response.get("fields"), f"{where}/response/fields"),
        body_fields=read.fields(body.get("fields"), f"{where}/request/body/fields"),
        examples=examples,
        body_example=body.get("example"),
        count=count if isinstance(count, int) else 1,
    )
