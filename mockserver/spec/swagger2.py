"""Swagger 2.0 -> OpenAPI 3.0.3, in memory, so that a 2.0 document is served like any other.

The converted document keeps every part where it can, and `Relocations` maps its pointers back to the
2.0 document's own (`/components/schemas/Pet` -> `/definitions/Pet`), so problems name the places the
author wrote. It runs after references are made local, so it can follow any `$ref`:

- `host`, `basePath`, `schemes` -> `servers`;
- `definitions` -> `components.schemas`; non-body `parameters` -> `components.parameters`;
  `securityDefinitions` -> `components.securitySchemes`;
- a parameter's type keywords -> its `schema`, `collectionFormat` -> `style`/`explode`, `x-example` ->
  `example`;
- `in: body` and `in: formData` parameters -> the operation's `requestBody`, one media type per entry of
  `consumes` (forms: `multipart/form-data` when a field is a file or `consumes` says so, else
  `application/x-www-form-urlencoded`; the fields are the parameters, no others);
- responses (written out in each operation: their media types are the operation's `produces`): `schema`
  -> `content`, `examples` -> each media type's `example`, headers' type keywords -> their `schema`;
- in schemas: `type: file` -> a binary string, `x-nullable` -> `nullable`, a `discriminator` name -> an
  object with that `propertyName`.
"""

from __future__ import annotations

from typing import Any

from mockserver.foundation.problems import join_pointer
from mockserver.spec.model import HTTP_METHODS
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve
from mockserver.spec.schemas import direct_subschemas

OPENAPI_VERSION = "3.0.3"
# Keywords of a 2.0 parameter or header that describe its value: they go into its 3.0 `schema`.
_VALUE_KEYWORDS = (
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
)
_MOVED_SECTIONS = {"definitions": "schemas", "parameters": "parameters", "responses": "responses"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_DEFAULT_MEDIA_TYPES = ["application/json"]
# collectionFormat -> (style, explode) of a query parameter; headers and path parameters are `simple`.
_QUERY_STYLES = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
    "tsv": ("form", False),
}
_OAUTH2_FLOWS = {
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}
_MAX_REF_HOPS = 32


class Relocations:
    """Pointers of the converted document -> pointers of the 2.0 document (by longest known prefix)."""

    def __init__(self) -> None:
        self._prefixes: dict[str, str] = {}

    def add(self, new: str, old: str) -> None:
        self._prefixes.setdefault(new, old)

    def old(self, pointer: str) -> str:
        probe = pointer
        while probe:
            found = self._prefixes.get(probe)
            if found is not None:
                return found + pointer[len(probe) :]
            probe = probe[: probe.rfind("/")]
        return pointer


def is_swagger2(document: Any) -> bool:
    return isinstance(document, dict) and str(document.get("swagger")) == "2.0"


def convert_swagger2(document: dict[str, Any]) -> tuple[dict[str, Any], Relocations]:
    """The OpenAPI 3.0.3 document equivalent to a Swagger 2.0 `document` whose references are all local.

    Objects are shared with `document`, and some converted in place: `document` is not usable afterwards.
    """
    return _Converter(document).run()


class _Converter:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.relocations = Relocations()
        self.consumes = _media_types(document.get("consumes"))
        self.produces = _media_types(document.get("produces"))
        self._converted: set[int] = set()  # parameters, headers and schemas converted in place

    def run(self) -> tuple[dict[str, Any], Relocations]:
        source = self.document
        _rewrite_references(source)
        converted: dict[str, Any] = {"openapi": OPENAPI_VERSION}
        for key, value in source.items():
            if key in ("info", "tags", "externalDocs", "security") or key.startswith("x-"):
                converted[key] = value
        servers = self.servers()
        if servers:
            converted["servers"] = servers
        components = self.components()
        converted["paths"] = self.paths()
        if components:
            converted["components"] = components
        for root in (source.get("x-mockserver-external"),):  # embedded files: their schemas too
            for value in root.values() if isinstance(root, dict) else ():
                self.schemas_under(value)
        return converted, self.relocations

    # --- document level --------------------------------------------------------------------------------

    def servers(self) -> list[dict[str, str]]:
        host, base = self.document.get("host"), self.document.get("basePath")
        base = base.rstrip("/") if isinstance(base, str) else ""
        if isinstance(host, str) and host:
            schemes = [s for s in self.document.get("schemes") or ["https"] if isinstance(s, str)] or [
                "https"
            ]
            return [{"url": f"{scheme}://{host}{base}"} for scheme in schemes]
        return [{"url": base}] if base else []

    def components(self) -> dict[str, Any]:
        components: dict[str, Any] = {}
        definitions = self.document.get("definitions")
        if isinstance(definitions, dict):
            components["schemas"] = definitions
            self.relocations.add("/components/schemas", "/definitions")
            for schema in definitions.values():
                self.schema(schema)
        parameters = self.document.get("parameters")
        if isinstance(parameters, dict):
            kept = {}
            for name, parameter in parameters.items():
                if isinstance(parameter, dict) and parameter.get("in") not in ("body", "formData"):
                    kept[name] = self.parameter(
                        parameter,
                        join_pointer("components", "parameters", name),
                        join_pointer("parameters", name),
                    )
            if kept:
                components["parameters"] = kept
        schemes = self.document.get("securityDefinitions")
        if isinstance(schemes, dict):
            components["securitySchemes"] = {
                name: _security_scheme(scheme) for name, scheme in schemes.items()
            }
            self.relocations.add("/components/securitySchemes", "/securityDefinitions")
        return components

    # --- paths and operations --------------------------------------------------------------------------

    def paths(self) -> dict[str, Any]:
        paths = self.document.get("paths")
        if not isinstance(paths, dict):
            return {}
        converted: dict[str, Any] = {}
        for url, item in paths.items():
            pointer = join_pointer("paths", url)
            item, old_pointer = self.follow(item, pointer)
            if not isinstance(item, dict) or str(url).startswith("x-"):
                converted[url] = item
                continue
            self.relocations.add(pointer, old_pointer)
            converted[url] = self.path_item(item, pointer, old_pointer)
        return converted

    def path_item(self, item: dict[str, Any], pointer: str, old_pointer: str) -> dict[str, Any]:
        shared = _list(item.get("parameters"))
        converted = {key: value for key, value in item.items() if key not in HTTP_METHODS}
        own_shared = self.parameter_list(shared, pointer + "/parameters", old_pointer + "/parameters")
        if own_shared:
            converted["parameters"] = own_shared
        else:
            converted.pop("parameters", None)
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                method_pointer = join_pointer(method)
                converted[method] = self.operation(
                    operation,
                    shared,
                    pointer + method_pointer,
                    old_pointer + method_pointer,
                    old_pointer + "/parameters",
                )
        return converted

    def operation(
        self,
        operation: dict[str, Any],
        shared: list[Any],
        pointer: str,
        old_pointer: str,
        shared_pointer: str,
    ) -> dict[str, Any]:
        self.relocations.add(pointer, old_pointer)
        converted = {
            key: value
            for key, value in operation.items()
            if key not in ("parameters", "consumes", "produces", "schemes", "responses")
        }
        own = _list(operation.get("parameters"))
        parameters = self.parameter_list(own, pointer + "/parameters", old_pointer + "/parameters")
        if parameters:
            converted["parameters"] = parameters
        consumes = _media_types(operation.get("consumes")) or self.consumes
        body = self.request_body(
            own, old_pointer + "/parameters", shared, shared_pointer, consumes, pointer + "/requestBody"
        )
        if body is not None:
            converted["requestBody"] = body
        produces = _media_types(operation.get("produces")) or self.produces or _DEFAULT_MEDIA_TYPES
        responses = operation.get("responses")
        if isinstance(responses, dict):
            converted["responses"] = {
                status: self.response(
                    response,
                    produces,
                    pointer + join_pointer("responses", status),
                    old_pointer + join_pointer("responses", status),
                )
                for status, response in responses.items()
            }
        elif "responses" in operation:
            converted["responses"] = responses
        return converted

    # --- parameters ------------------------------------------------------------------------------------

    def parameter_list(self, declared: list[Any], pointer: str, old_pointer: str) -> list[Any]:
        """The non-body parameters of a 2.0 list, converted (references kept, their targets converted)."""
        converted: list[Any] = []
        for index, entry in enumerate(declared):
            target, target_pointer = self.follow(entry, f"{old_pointer}/{index}")
            if isinstance(target, dict) and target.get("in") in ("body", "formData"):
                continue
            new_pointer = f"{pointer}/{len(converted)}"
            if entry is target:
                converted.append(self.parameter(entry, new_pointer, target_pointer))
            else:
                self.relocations.add(new_pointer, f"{old_pointer}/{index}")
                self.parameter(target, target_pointer, target_pointer)
                converted.append(entry)
        return converted

    def parameter(self, parameter: Any, pointer: str, old_pointer: str) -> Any:
        """A 2.0 non-body parameter as a 3.0 one, converted in place (it may be shared)."""
        self.relocations.add(pointer, old_pointer)
        self.relocations.add(pointer + "/schema", old_pointer)
        if not isinstance(parameter, dict) or id(parameter) in self._converted:
            return parameter
        self._converted.add(id(parameter))
        schema = self.value_schema(parameter)
        location = parameter.get("in")
        collection = parameter.pop("collectionFormat", None)
        if schema.get("type") == "array":
            if location == "query":
                style, explode = _QUERY_STYLES.get(str(collection or "csv"), ("form", False))
                parameter["style"], parameter["explode"] = style, explode
            elif location in ("path", "header"):
                parameter["style"], parameter["explode"] = "simple", False
        if "x-example" in parameter:
            parameter["example"] = parameter.pop("x-example")
        if location != "query":
            parameter.pop("allowEmptyValue", None)
        parameter["schema"] = schema
        return parameter

    def value_schema(self, holder: dict[str, Any]) -> dict[str, Any]:
        """The type keywords of a parameter or header, moved into a schema (converted)."""
        schema = {key: holder.pop(key) for key in _VALUE_KEYWORDS if key in holder}
        items = schema.get("items")
        if isinstance(items, dict):
            items.pop("collectionFormat", None)
        self.schema(schema)
        return schema

    def request_body(
        self,
        own: list[Any],
        own_pointer: str,
        shared: list[Any],
        shared_pointer: str,
        consumes: list[str],
        pointer: str,
    ) -> dict[str, Any] | None:
        """The request body that the operation's `body` or `formData` parameters (its own, then the path
        item's it does not override) describe, or None."""
        fields: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for declared, declared_pointer in ((shared, shared_pointer), (own, own_pointer)):
            for index, entry in enumerate(declared):
                target, target_pointer = self.follow(entry, f"{declared_pointer}/{index}")
                if isinstance(target, dict) and target.get("in") in ("body", "formData"):
                    fields[(str(target.get("in")), str(target.get("name")))] = (target, target_pointer)
        body = [field for (location, _), field in fields.items() if location == "body"]
        if body:
            return self.json_body(*body[-1], consumes, pointer)
        form = [field for (location, _), field in fields.items() if location == "formData"]
        return self.form_body(form, consumes, pointer) if form else None

    def json_body(
        self, parameter: dict[str, Any], old_pointer: str, consumes: list[str], pointer: str
    ) -> dict[str, Any]:
        self.relocations.add(pointer, old_pointer)
        schema = parameter.get("schema", {})
        self.schema(schema)
        examples = parameter.get("x-examples")
        content: dict[str, Any] = {}
        for media_type in consumes or _DEFAULT_MEDIA_TYPES:
            entry: dict[str, Any] = {"schema": schema}
            self.relocations.add(
                f"{pointer}{join_pointer('content', media_type)}/schema", old_pointer + "/schema"
            )
            if isinstance(examples, dict) and media_type in examples:
                entry["example"] = examples[media_type]
            elif "x-example" in parameter:
                entry["example"] = parameter["x-example"]
            content[media_type] = entry
        body: dict[str, Any] = {"content": content}
        if isinstance(parameter.get("description"), str):
            body["description"] = parameter["description"]
        if parameter.get("required") is True:
            body["required"] = True
        return body

    def form_body(
        self, fields: list[tuple[dict[str, Any], str]], consumes: list[str], pointer: str
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        has_file = False
        for parameter, _ in fields:
            name = str(parameter.get("name"))
            field = dict(parameter)
            collection = field.pop("collectionFormat", None)
            schema = self.value_schema(field)
            if schema.get("type") == "string" and schema.get("format") == "binary":
                has_file = True
            for key in ("description",):
                if isinstance(field.get(key), str):
                    schema[key] = field[key]
            if "x-example" in field:
                schema["example"] = field["x-example"]
            properties[name] = schema
            if field.get("required") is True:
                required.append(name)
            if schema.get("type") == "array":
                style, explode = _QUERY_STYLES.get(str(collection or "csv"), ("form", False))
                encoding[name] = {"style": style, "explode": explode}
        form_types = [media_type for media_type in consumes if media_type in _FORM_TYPES]
        if has_file or not form_types:
            form_types = ["multipart/form-data"] if has_file else form_types or [_FORM_TYPES[0]]
        # The parameters list every field: like schemathesis, another field is taken as a mistake.
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = required
        content = {}
        for media_type in form_types:
            entry: dict[str, Any] = {"schema": schema}
            if encoding and media_type == _FORM_TYPES[0]:
                entry["encoding"] = encoding
            content[media_type] = entry
            for name, (_, old_pointer) in zip(properties, fields, strict=True):
                field_pointer = join_pointer("content", media_type, "schema", "properties", name)
                self.relocations.add(pointer + field_pointer, old_pointer)
        self.relocations.add(pointer, fields[0][1].rsplit("/", 1)[0])
        return {"content": content, **({"required": True} if required else {})}

    # --- responses -------------------------------------------------------------------------------------

    def response(self, response: Any, produces: list[str], pointer: str, old_pointer: str) -> Any:
        """A 2.0 response written out for one operation (its media types are the operation's)."""
        response, old_pointer = self.follow(response, old_pointer)
        self.relocations.add(pointer, old_pointer)
        if not isinstance(response, dict):
            return response
        converted = {
            key: value for key, value in response.items() if key not in ("schema", "examples", "headers")
        }
        headers = response.get("headers")
        if isinstance(headers, dict):
            converted["headers"] = {
                name: self.header(
                    header,
                    pointer + join_pointer("headers", name),
                    old_pointer + join_pointer("headers", name),
                )
                for name, header in headers.items()
            }
        examples = response.get("examples")
        examples = examples if isinstance(examples, dict) else {}
        content: dict[str, Any] = {}
        if "schema" in response:
            schema = response["schema"]
            self.schema(schema)
            for media_type in produces:
                content[media_type] = {"schema": schema}
                self.relocations.add(
                    pointer + join_pointer("content", media_type, "schema"), old_pointer + "/schema"
                )
        for media_type, example in examples.items():
            content.setdefault(str(media_type), {})["example"] = example
            self.relocations.add(
                pointer + join_pointer("content", str(media_type), "example"),
                old_pointer + join_pointer("examples", str(media_type)),
            )
        if content:
            converted["content"] = content
        return converted

    def header(self, header: Any, pointer: str, old_pointer: str) -> Any:
        self.relocations.add(pointer, old_pointer)
        self.relocations.add(pointer + "/schema", old_pointer)
        if not isinstance(header, dict) or id(header) in self._converted:
            return header
        self._converted.add(id(header))
        header.pop("collectionFormat", None)
        header["schema"] = self.value_schema(header)
        if "x-example" in header:
            header["example"] = header.pop("x-example")
        return header

    # --- schemas ---------------------------------------------------------------------------------------

    def schema(self, root: Any) -> None:
        """Convert, in place, a 2.0 schema and every schema under it (and those it refers to)."""
        pending = [root]
        while pending:
            schema = pending.pop()
            if not isinstance(schema, dict) or id(schema) in self._converted:
                continue
            self._converted.add(id(schema))
            _convert_schema_keywords(schema)
            if "$ref" in schema:
                target, _ = self.follow(schema, "")
                pending.append(target)
            pending.extend(direct_subschemas(schema))

    def schemas_under(self, node: Any) -> None:
        """Convert the schemas of an embedded file's parts that hold one (`schema` keys)."""
        pending = [node]
        seen: set[int] = set()
        while pending:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if isinstance(current, dict):
                if isinstance(current.get("schema"), dict):
                    self.schema(current["schema"])
                pending.extend(
                    value
                    for key, value in current.items()
                    if isinstance(value, (dict, list))
                    and key not in ("example", "examples", "x-example", "default", "enum")
                )
            elif isinstance(current, list):
                pending.extend(value for value in current if isinstance(value, (dict, list)))

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow `$ref`s to the object (in the 2.0 document) and its 2.0 pointer."""
        for _ in range(_MAX_REF_HOPS):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not (isinstance(ref, str) and ref.startswith("#")):
                return node, pointer
            target_pointer = _old_pointer(fragment_pointer(ref[1:]))
            target = resolve(self.document, target_pointer)
            if target is MISSING:
                return node, pointer
            node, pointer = target, target_pointer
        return node, pointer


def _convert_schema_keywords(schema: dict[str, Any]) -> None:
    if schema.get("type") == "file":
        schema["type"], schema["format"] = "string", "binary"
    if "x-nullable" in schema:
        schema["nullable"] = schema.pop("x-nullable") is True
    if isinstance(schema.get("discriminator"), str):
        schema["discriminator"] = {"propertyName": schema["discriminator"]}


def _security_scheme(scheme: Any) -> Any:
    if not isinstance(scheme, dict):
        return scheme
    kind = scheme.get("type")
    extra = {key: value for key, value in scheme.items() if key == "description" or key.startswith("x-")}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **extra}
    if kind == "apiKey":
        return {"type": "apiKey", "name": scheme.get("name"), "in": scheme.get("in"), **extra}
    if kind == "oauth2":
        flow, urls = _OAUTH2_FLOWS.get(str(scheme.get("flow")), ("implicit", ("authorizationUrl",)))
        settings = {url: scheme.get(url, "") for url in urls}
        settings["scopes"] = scheme.get("scopes") if isinstance(scheme.get("scopes"), dict) else {}
        return {"type": "oauth2", "flows": {flow: settings}, **extra}
    return scheme


def _rewrite_references(document: dict[str, Any]) -> None:
    """`#/definitions/X` -> `#/components/schemas/X` (and parameters, responses), everywhere."""
    pending: list[Any] = [document]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                node["$ref"] = _new_reference(ref)
            mapping = node.get("mapping") if "propertyName" in node else None
            if not isinstance(mapping, dict):
                mapping = {}
            for name, value in mapping.items():
                if isinstance(value, str) and value.startswith("#/"):
                    mapping[name] = _new_reference(value)
            pending.extend(
                value
                for key, value in node.items()
                if isinstance(value, (dict, list))
                and key not in ("example", "examples", "x-example", "x-examples", "default", "enum")
            )
        elif isinstance(node, list):
            pending.extend(value for value in node if isinstance(value, (dict, list)))


def _new_reference(ref: str) -> str:
    section, _, rest = ref[2:].partition("/")
    moved = _MOVED_SECTIONS.get(section)
    return f"#/components/{moved}/{rest}" if moved is not None and rest else ref


def _old_pointer(pointer: str) -> str:
    """A pointer into the converted sections, as the 2.0 document has it (`/components/schemas/X` ->
    `/definitions/X`); others are unchanged."""
    for old, new in _MOVED_SECTIONS.items():
        prefix = f"/components/{new}/"
        if pointer.startswith(prefix):
            return f"/{old}/{pointer[len(prefix) :]}"
    return pointer


def _media_types(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
