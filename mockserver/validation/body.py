"""Request bodies: matching the Content-Type to a documented media type, parsing, and checking.

JSON bodies are checked as FastAPI checks them (pydantic where the schema translates, jsonschema_rs
otherwise). Form bodies (urlencoded and multipart) of an operation that follows FastAPI are read field by
field, as FastAPI reads `Form()` parameters; any other form is read into the document its schema and
`encoding` describe and checked whole (see forms.py). XML bodies are read (safely) into the value their
schema's `xml` object describes, then checked like JSON.
"""

from __future__ import annotations

import email.parser
import email.policy
import fnmatch
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.foundation.problems import escape_pointer_token
from mockserver.http.xml import XmlCodec, XmlError, is_xml
from mockserver.validation.checkers import Checker, Reading, compile_checker
from mockserver.validation.errors import ErrorItem, known_error, missing, unsupported_media_type
from mockserver.validation.forms import FormBody, JsonPart, is_json_media_type
from mockserver.validation.params import ABSENT, schema_default, value_shape
from mockserver.validation.pydantic_types import TypeBuilder
from mockserver.validation.refs import follow_refs, resolver

if TYPE_CHECKING:
    from mockserver.spec.model import MediaType, RequestBody, Spec

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
BODY_LOC = ("body",)
EMBEDDED_BODY_TITLE = "Body_"


@dataclass
class ParsedBody:
    """A body matched to its documented media type and decoded, not yet checked."""

    media_type: str | None  # the documented key; None when there is no body
    kind: str  # "none", "json", "xml", "form", "text", "bytes"
    value: Any = None
    fields: list[tuple[str, Any]] = field(default_factory=list)  # form fields, in order
    multipart: bool = False  # form fields sent as multipart parts (not urlencoded)


def essence(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";", 1)[0].strip().lower()


def match_media_type(content_type: str, documented: list[str]) -> str | None:
    """The documented media type that best matches the request's Content-Type, or None."""
    sent = essence(content_type)
    best: tuple[int, str] | None = None
    for key in documented:
        rank = _match_rank(sent, essence(key))
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, key)
    return None if best is None else best[1]


def _match_rank(sent: str, documented: str) -> int | None:
    if sent == documented:
        return 0
    if documented == "application/json" and sent.startswith("application/") and sent.endswith("+json"):
        return 1
    if documented == "application/xml" and sent.startswith("application/") and sent.endswith("+xml"):
        return 1
    if "*" in documented and fnmatch.fnmatchcase(sent, documented):
        return 2 + documented.count("*")
    return None


def body_kind(media_type: str) -> str:
    main, _, sub = media_type.partition("/")
    if sub == "json" or sub.endswith("+json"):
        return "json"
    if media_type in (FORM, MULTIPART):
        return "form"
    return "text" if main == "text" else "bytes"


class BodyValidator:
    """Compiled once per operation: the checks of each documented media type, built on first use."""

    def __init__(self, spec: Spec, request_body: RequestBody, builder: TypeBuilder) -> None:
        self._spec = spec
        self._builder = builder
        self._required = request_body.required
        self._content = request_body.content
        self._documented = list(request_body.content)
        self._checkers: dict[str, Checker] = {}
        self._fields: dict[tuple[str, bool], BodyFields | None] = {}
        self._forms: dict[str, FormBody] = {}
        self._xml = XmlCodec(spec.document)

    def parse(self, body: bytes, content_type: str | None) -> ParsedBody | ErrorItem:
        """Match and decode the body; an error here (415, invalid JSON) is the only one reported."""
        if not body:
            return self._empty(content_type)
        if not content_type:
            return unsupported_media_type(None, self._documented)
        kind = body_kind(essence(content_type))
        key = match_media_type(content_type, self._documented) or self._other_form_type(kind)
        if key is None:
            return unsupported_media_type(content_type, self._documented)
        if kind == "json":
            return _parse_json(key, body)
        if is_xml(key) and is_xml(content_type):  # documented as XML, not only accepted by a wildcard
            return self._parse_xml(key, body)
        if kind == "form":
            return _parse_form(key, body, content_type)
        if kind == "text":
            return ParsedBody(key, "text", body.decode(_charset(content_type), errors="replace"))
        return ParsedBody(key, "bytes", body)

    def check(self, parsed: ParsedBody) -> tuple[Any, list[ErrorItem]]:
        """The body value to hand on, and its errors."""
        if parsed.kind == "none":
            return None, [missing(BODY_LOC)] if self._required else []
        media = self._content[parsed.media_type] if parsed.media_type else None
        if media is None or parsed.kind == "bytes":
            return parsed.value, []
        if parsed.kind == "form":
            return self._check_form(media, parsed)
        if parsed.kind == "json" and (embedded := self._body_fields(media, form=False)) is not None:
            return parsed.value, embedded.check_object(parsed.value)[1]
        _, errors = self._checker(media).check(parsed.value, BODY_LOC)
        return parsed.value, errors

    def _other_form_type(self, kind: str) -> str | None:
        """FastAPI reads urlencoded and multipart forms alike, whichever of the two it documents."""
        if kind != "form":
            return None
        return next((key for key in self._documented if essence(key) in (FORM, MULTIPART)), None)

    def _empty(self, content_type: str | None) -> ParsedBody:
        """No body. Forms and embedded bodies still check their fields: FastAPI reports each missing one."""
        key = match_media_type(content_type, self._documented) if content_type else None
        key = key or (self._documented[0] if self._documented else None)
        if key is None or not self._required:
            return ParsedBody(None, "none")
        kind = body_kind(essence(key))
        if kind == "form":
            return ParsedBody(key, "form")
        if kind == "json" and self._body_fields(self._content[key], form=False) is not None:
            return ParsedBody(key, "json", {})
        return ParsedBody(None, "none")

    def _parse_xml(self, key: str, body: bytes) -> ParsedBody | ErrorItem:
        try:
            return ParsedBody(key, "xml", self._xml.read(body, self._content[key].schema))
        except XmlError as error:
            return known_error("value_error", BODY_LOC, None, {"error": str(error)})

    def _checker(self, media: MediaType) -> Checker:
        checker = self._checkers.get(media.media_type)
        if checker is None:
            checker = compile_checker(
                self._spec, self._builder, media.schema, media.schema_pointer, reading=Reading.JSON
            )
            self._checkers[media.media_type] = checker
        return checker

    def _body_fields(self, media: MediaType, *, form: bool) -> BodyFields | None:
        key = (media.media_type, form)
        if key not in self._fields:
            self._fields[key] = BodyFields.compile(self._spec, self._builder, media, form=form)
        return self._fields[key]

    def _check_form(self, media: MediaType, parsed: ParsedBody) -> tuple[Any, list[ErrorItem]]:
        if not self._builder.translates:  # not FastAPI's: the form is the document its schema describes
            form_body = self._forms.get(media.media_type)
            if form_body is None:
                form_body = self._forms[media.media_type] = FormBody(self._spec, self._builder, media)
            return form_body.check(parsed.fields, multipart=parsed.multipart, loc=BODY_LOC)
        form = self._body_fields(media, form=True)
        if form is None:  # not an object with properties: check the fields as one object
            value = dict(parsed.fields)
            _, errors = self._checker(media).check(value, BODY_LOC)
            return value, errors
        return form.check_form(parsed.fields)


@dataclass
class BodyField:
    name: str
    required: bool
    default: Any
    repeated: bool  # an array: in a form, every occurrence is an item
    json_encoded: bool  # an object: in a form, sent as a JSON document
    checker: Checker


@dataclass
class BodyFields:
    """A body read field by field, as FastAPI reads `Form()` parameters and embedded `Body()` parameters.

    Each field is checked alone with `loc` `("body", name)`, and a missing one is reported with input
    null (not the whole body, as a model would). FastAPI publishes embedded bodies as an object schema
    titled `Body_<operation id>`; that title is how they are recognised. A form model that forbids other
    fields (`additionalProperties: false`) reports each of them, after the fields' own errors.
    """

    fields: list[BodyField]
    closed: bool = False

    @classmethod
    def compile(cls, spec: Spec, builder: TypeBuilder, media: MediaType, *, form: bool) -> BodyFields | None:
        """The fields of a form (`form`) or of an embedded JSON body; None when the schema is neither."""
        resolve = resolver(spec.resolve_pointer)
        schema, pointer = follow_refs(spec.resolve_pointer, media.schema, media.schema_pointer)
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict) or pointer is None:
            return None
        if not form and not str(schema.get("title", "")).startswith(EMBEDDED_BODY_TITLE):
            return None
        required = set(schema.get("required", ()))
        compiled = []
        for name, property_schema in schema["properties"].items():
            property_pointer = f"{pointer}/properties/{escape_pointer_token(name)}"
            shape = value_shape(property_schema, resolve)
            checker = compile_checker(spec, builder, property_schema, property_pointer,
                                      reading=Reading.FORM if form else Reading.JSON)
            is_required = name in required and not builder.is_read_only(property_schema)
            default = schema_default(property_schema, resolve)
            compiled.append(
                BodyField(name, is_required, default, shape == "array", shape == "object", checker)
            )
        return cls(compiled, closed=schema.get("additionalProperties") is False)

    def check_form(self, sent: list[tuple[str, Any]]) -> tuple[dict[str, Any], list[ErrorItem]]:
        by_name: dict[str, list[Any]] = {}
        for name, item in sent:  # FastAPI reads a JSON part as the text it is
            by_name.setdefault(name, []).append(str(item) if isinstance(item, JsonPart) else item)
        values, errors = self._check(lambda field: _field_value(field, by_name.get(field.name, [])))
        if self.closed:
            known = {body_field.name for body_field in self.fields}
            errors.extend(
                known_error("extra_forbidden", (*BODY_LOC, name), items[-1])
                for name, items in by_name.items() if name not in known
            )
        return values, errors

    def check_object(self, document: Any) -> tuple[dict[str, Any], list[ErrorItem]]:
        if not isinstance(document, dict):  # FastAPI: every field is missing
            return {}, [missing((*BODY_LOC, field.name)) for field in self.fields]
        return self._check(lambda field: document.get(field.name, ABSENT))

    def _check(self, read: Callable[[BodyField], Any]) -> tuple[dict[str, Any], list[ErrorItem]]:
        values: dict[str, Any] = {}
        errors: list[ErrorItem] = []
        for body_field in self.fields:
            raw = read(body_field)
            loc = (*BODY_LOC, body_field.name)
            if raw is ABSENT:
                if body_field.required:
                    errors.append(missing(loc))
                elif body_field.default is not ABSENT:
                    values[body_field.name] = body_field.default
                continue
            value, found = body_field.checker.check(raw, loc)
            errors.extend(found)
            if not found:
                values[body_field.name] = value
        return values, errors


def _field_value(form_field: BodyField, sent: list[Any]) -> Any:
    """Like FastAPI: an empty text field (not an empty file) counts as absent for single-valued fields."""
    if form_field.repeated:
        return sent or ABSENT
    if not sent or sent[-1] == "":
        return ABSENT
    value = sent[-1]
    if form_field.json_encoded and isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _parse_json(key: str, body: bytes) -> ParsedBody | ErrorItem:
    try:
        return ParsedBody(key, "json", json.loads(body))
    except json.JSONDecodeError as error:
        return _json_invalid(error.pos, error.msg)
    except UnicodeDecodeError as error:
        return _json_invalid(error.start, error.reason)
    except RecursionError:
        return _json_invalid(0, "Too deeply nested")
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        return _json_invalid(0, str(error))


def _json_invalid(position: int, reason: str) -> ErrorItem:
    """FastAPI's own item for a body that is not JSON (it reports nothing else for the request)."""
    return ErrorItem("json_invalid", (*BODY_LOC, position), "JSON decode error", {}, {"error": reason})


def _parse_form(key: str, body: bytes, content_type: str) -> ParsedBody | ErrorItem:
    if essence(content_type) == FORM:
        text = body.decode(_charset(content_type), errors="replace")
        return ParsedBody(key, "form", fields=urllib.parse.parse_qsl(text, keep_blank_values=True))
    fields = _multipart_fields(body, content_type)
    if fields is None:
        return known_error("value_error", BODY_LOC, None, {"error": "There was an error parsing the body"})
    return ParsedBody(key, "form", fields=fields, multipart=True)


def _multipart_fields(body: bytes, content_type: str) -> list[tuple[str, Any]] | None:
    """The parts of a multipart/form-data body: text fields as str (`JsonPart` when the part's Content-Type
    is JSON), files as bytes; None if malformed."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", errors="replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart() or message.defects:
        return None
    fields: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            return None
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is None:
            text = payload.decode(_codec(part.get_content_charset()), errors="replace")
            json_part = "content-type" in part and is_json_media_type(part.get_content_type())
            fields.append((name, JsonPart(text) if json_part else text))
        else:
            fields.append((name, payload))
    return fields


def _charset(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return _codec(value.strip().strip('"'))
    return "utf-8"


def _codec(charset: str | None) -> str:
    """`charset` if Python knows it as a text encoding, else UTF-8."""
    if not charset:
        return "utf-8"
    try:
        "".encode(charset)
    except (LookupError, ValueError):
        return "utf-8"
    return charset
