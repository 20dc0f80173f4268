"""XML bodies as the OpenAPI `xml` object describes them: values written as documents, documents read back.

The `xml` object of a schema names its element (`name`), makes a property an attribute (`attribute`),
wraps an array in an element of its own (`wrapped`), and qualifies names (`namespace`, `prefix`). Reading
is guided by the schema too: XML has only text, so the schema says which text is a number or a boolean.
Request bodies are untrusted: they are parsed with defusedxml (no DTD, no entities, no external fetches).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mockserver.spec.pointers import MISSING, fragment_pointer, resolve
from mockserver.spec.schemas import declared_types

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

DEFAULT_ROOT = "root"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_COMPONENT_SCHEMAS = ("/components/schemas/", "/definitions/")
_NOT_IN_NAME = re.compile(r"[^\w.\-]")
# Characters XML 1.0 cannot carry at all, even escaped (compiled on first use: it takes milliseconds).
_NOT_XML_TEXT = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
_INTEGER = re.compile(r"[+-]?\d{1,4000}")
_MAX_REF_CHAIN = 32
_MAX_VIEW_DEPTH = 8  # allOf/anyOf/oneOf nesting looked into for properties and types
MAX_DEPTH = 200  # elements nested deeper than this: a request body is refused (reading recurses)


class XmlError(ValueError):
    """A body that is not a well-formed (or not a safe) XML document."""


@lru_cache(maxsize=256)
def is_xml(media_type: str) -> bool:
    """`application/xml`, `text/xml` and any `+xml` media type (`application/atom+xml`)."""
    subtype = media_type.split(";", 1)[0].strip().lower().partition("/")[2]
    return subtype == "xml" or subtype.endswith("+xml")


@dataclass(frozen=True)
class _View:
    """What XML needs of a schema: its types, properties, items and `xml` object, through refs and allOf."""

    types: frozenset[str]
    properties: Mapping[str, Any]
    items: Any
    options: Mapping[str, Any]
    required: frozenset[str] = frozenset()
    component: str | None = None  # the components/schemas name a `$ref` led to

    def name(self, default: str) -> str:
        return str(self.options.get("name") or default)

    @property
    def attribute(self) -> bool:
        return self.options.get("attribute") is True

    @property
    def wrapped(self) -> bool:
        return self.options.get("wrapped") is True


_ANY = _View(frozenset(), {}, None, {})


@dataclass
class XmlCodec:
    """Writes and reads XML bodies for the schemas of one document (`$ref`s are local: `#/...`)."""

    document: Mapping[str, Any] | None = None
    _views: dict[int, tuple[Any, _View]] = field(default_factory=dict, repr=False)

    # -- writing ---------------------------------------------------------------------------

    def write(self, value: Any, schema: Any = None, root: str = DEFAULT_ROOT) -> str:
        """`value` as an XML document: the root element is named by the schema's `xml.name`, else by the
        component the schema refers to, else `root`. A root array is always wrapped (a document has one
        root element)."""
        view = self.view(schema)
        name = view.name(view.component or root)
        out = [DECLARATION]
        if isinstance(value, list):
            items = self.view(view.items)
            item_name = items.name(items.component or "item")

            def write_items(bound: list[str]) -> None:
                for item in value:
                    self._element(out, item_name, item, view.items, bound)

            self._open(out, name, view.options, [], [], None, write_items)
        else:
            self._element(out, name, value, schema, [])
        return "".join(out)

    def _element(self, out: list[str], name: str, value: Any, schema: Any, bound: list[str]) -> None:
        view = self.view(schema)
        if isinstance(value, dict):
            self._object(out, name, value, view, bound)
        elif isinstance(value, list):  # an array where the schema has none: one element per item
            for item in value:
                self._element(out, name, item, view.items, bound)
        else:
            self._open(out, name, view.options, bound, [], value, None)

    def _object(
        self, out: list[str], name: str, value: dict[str, Any], view: _View, bound: list[str]
    ) -> None:
        attributes: list[tuple[str, Mapping[str, Any], Any]] = []
        children: list[tuple[str, Any, Any]] = []
        for key, item in value.items():
            schema = view.properties.get(key)
            child = self.view(schema)
            if child.attribute and not isinstance(item, (dict, list)):
                attributes.append((child.name(key), child.options, item))
            else:
                children.append((key, item, schema))

        def write_children(inner: list[str]) -> None:
            for key, item, schema in children:
                child = self.view(schema)
                if isinstance(item, list):
                    self._array(out, key, item, child, inner)
                else:
                    self._element(out, child.name(key), item, schema, inner)

        self._open(out, name, view.options, bound, attributes, None, write_children)

    def _array(self, out: list[str], key: str, value: list[Any], view: _View, bound: list[str]) -> None:
        items = self.view(view.items)
        if not view.wrapped:  # the items stand for the property, named by their own `xml.name`
            item_name = items.name(key)
            for item in value:
                self._element(out, item_name, item, view.items, bound)
            return
        wrapper = view.name(key)
        item_name = items.name(wrapper)

        def write_items(inner: list[str]) -> None:
            for item in value:
                self._element(out, item_name, item, view.items, inner)

        self._open(out, wrapper, view.options, bound, [], None, write_items)

    def _open(
        self,
        out: list[str],
        name: str,
        options: Mapping[str, Any],
        bound: list[str],
        attributes: list[tuple[str, Mapping[str, Any], Any]],
        text: Any,
        children: Callable[[list[str]], None] | None,
    ) -> None:
        """Write one element: its namespace declarations and attributes, then its text or its children."""
        declarations: dict[str, str] = {}
        tag = _qualified(name, options, bound, declarations)
        inner = bound + [prefix for prefix in declarations if prefix]
        written = [f"{_declaration(prefix)}={quoteattr(uri)}" for prefix, uri in declarations.items()]
        seen: set[str] = set()
        for attribute, attribute_options, attribute_value in attributes:
            own: dict[str, str] = {}
            qualified = _qualified(attribute, attribute_options, inner, own, attribute=True)
            if qualified in seen or qualified == "xmlns":  # an attribute is written once
                continue
            seen.add(qualified)
            written += [f"{_declaration(prefix)}={quoteattr(uri)}" for prefix, uri in own.items()
                        if prefix not in inner]
            inner += [prefix for prefix in own if prefix]
            written.append(f"{qualified}={quoteattr(_text(attribute_value))}")
        head = f"<{tag}{''.join(' ' + item for item in written)}"
        if children is not None:
            out.append(head + ">")
            children(inner)
            out.append(f"</{tag}>")
        elif text is None:
            out.append(head + "/>")
        else:
            out.append(f"{head}>{escape(_text(text))}</{tag}>")

    # -- reading ---------------------------------------------------------------------------

    def read(self, data: bytes | str, schema: Any = None) -> Any:
        """The value an XML document stands for under `schema`; XmlError if it is not well-formed XML, or
        declares a DTD or entities (never expanded)."""
        from xml.etree.ElementTree import ParseError  # only requests with XML bodies need the parsers

        import defusedxml.ElementTree as SafeElementTree
        from defusedxml import DefusedXmlException

        try:
            root = SafeElementTree.fromstring(data, forbid_dtd=True)
        except ParseError as error:
            raise XmlError(f"not a well-formed XML document: {error}") from None
        except DefusedXmlException:
            raise XmlError("XML with a document type declaration or entities is not accepted") from None
        except (ValueError, LookupError) as error:  # e.g. a text encoding Python does not know
            raise XmlError(f"not a readable XML document: {error}") from None
        if _deeper_than(root, MAX_DEPTH):
            raise XmlError(f"the XML document nests elements more than {MAX_DEPTH} deep")
        view = self.view(schema)
        if "array" in view.types and "object" not in view.types:
            return [self._value(child, view.items) for child in root]
        return self._value(root, schema)

    def _value(self, element: Element, schema: Any) -> Any:
        view = self.view(schema)
        if element.get(f"{{{_XSI}}}nil") in ("true", "1"):
            return None
        if len(element):
            if "array" in view.types and "object" not in view.types:
                return [self._value(child, view.items) for child in element]
            return self._object_value(element, view) if "object" in view.types else _untyped(element)
        text = element.text or ""
        if "object" in view.types and not text.strip():
            return self._object_value(element, view)
        if "array" in view.types and not text.strip():
            return []
        if element.attrib and not view.types:
            return _untyped(element)
        return _scalar(text, view.types)

    def _object_value(self, element: Element, view: _View) -> Any:
        attributes: dict[str, tuple[str, Any]] = {}
        elements: dict[str, tuple[str, Any, str]] = {}  # XML name -> (property, schema, how it is written)
        for key, schema in view.properties.items():  # the first property of a name has it, as when written
            described = self.view(schema)
            if described.attribute:
                attributes.setdefault(xml_name(described.name(key)), (key, schema))
            elif "array" in described.types and described.wrapped:
                elements.setdefault(xml_name(described.name(key)), (key, schema, "wrapped"))
            elif "array" in described.types and "object" not in described.types:
                items = self.view(described.items)
                for name in (items.name(key), key, described.name(key)):
                    elements.setdefault(xml_name(name), (key, schema, "items"))
            else:
                elements.setdefault(xml_name(described.name(key)), (key, schema, "value"))
        result: dict[str, Any] = {}
        for name, text in element.attrib.items():
            found = attributes.get(_local(name))
            if found is not None:
                result[found[0]] = _scalar(text, self.view(found[1]).types)
        for child in element:
            name = _local(child.tag)
            key, schema, how = elements.get(name, (name, None, "value"))
            if how == "wrapped":
                result[key] = self._value(child, schema)
            elif how == "items":
                result.setdefault(key, []).append(self._value(child, self.view(schema).items))
            elif key in result:  # one element too many: the value is a list, which the schema refuses
                result[key] = _appended(result[key], self._value(child, schema))
            else:
                result[key] = self._value(child, schema)
        for key, _, how in elements.values():
            if how == "items" and key in view.required and key not in result:
                result[key] = []  # an unwrapped array without items is empty: XML cannot tell it from absent
        return result

    # -- schemas ---------------------------------------------------------------------------

    def view(self, schema: Any) -> _View:
        """What XML needs of `schema` (remembered: the document's schemas live as long as the spec)."""
        if not isinstance(schema, dict):
            return _ANY
        found = self._views.get(id(schema))
        if found is not None and found[0] is schema:
            return found[1]
        view = self._build(schema, 0)
        self._views[id(schema)] = (schema, view)
        return view

    def _build(self, schema: Any, depth: int) -> _View:
        schema, component, options = self._follow(schema)
        if not isinstance(schema, dict) or depth > _MAX_VIEW_DEPTH:
            return _View(frozenset(), {}, None, options, component=component)
        types = declared_types(schema)
        properties = dict(schema["properties"]) if isinstance(schema.get("properties"), dict) else {}
        required = set(schema["required"]) if isinstance(schema.get("required"), list) else set()
        items = schema.get("items")
        merged_options = {**_options(schema), **options}
        branch_types: set[str] = set()
        for keyword in ("allOf", "anyOf", "oneOf"):
            for member in schema.get(keyword) or ():
                sub = self._build(member, depth + 1)
                for key, value in sub.properties.items():
                    properties.setdefault(key, value)
                if keyword == "allOf":
                    required |= sub.required
                    merged_options = {**sub.options, **merged_options}
                    component = component or sub.component
                items = items if items is not None else sub.items
                branch_types |= sub.types
        if not types:
            types = frozenset(branch_types)
        if not types and properties:
            types = frozenset({"object"})
        if not types and items is not None:
            types = frozenset({"array"})
        return _View(types, properties, items, merged_options, frozenset(required), component)

    def _follow(self, schema: Any) -> tuple[Any, str | None, dict[str, Any]]:
        """The schema a chain of `$ref`s leads to, the first component named, and the referring `xml`."""
        component = None
        options: dict[str, Any] = {}
        for _ in range(_MAX_REF_CHAIN):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#") or self.document is None:
                break
            options = {**_options(schema), **options}
            pointer = fragment_pointer(ref[1:])
            for prefix in _COMPONENT_SCHEMAS:
                if component is None and pointer.startswith(prefix) and "/" not in pointer[len(prefix):]:
                    component = pointer[len(prefix):].replace("~1", "/").replace("~0", "~")
            target = resolve(self.document, pointer)
            if target is MISSING:
                return None, component, options
            schema = target
        return schema, component, options


def _options(schema: Mapping[str, Any]) -> dict[str, Any]:
    options = schema.get("xml")
    return dict(options) if isinstance(options, dict) else {}


def _qualified(name: str, options: Mapping[str, Any], bound: list[str], declarations: dict[str, str],
               *, attribute: bool = False) -> str:
    """The element or attribute name with its prefix, declaring the namespace where `xml` gives one. A
    prefix without a namespace in scope is dropped: the document must stay well-formed."""
    local = xml_name(name)
    prefix = options.get("prefix")
    namespace = options.get("namespace")
    if isinstance(prefix, str) and prefix:
        prefix = xml_name(prefix)
        if isinstance(namespace, str) and namespace:
            declarations[prefix] = namespace
            return f"{prefix}:{local}"
        return f"{prefix}:{local}" if prefix in bound else local
    if isinstance(namespace, str) and namespace and not attribute:
        declarations[""] = namespace
    return local


def escape(text: str) -> str:
    """`text` as XML character data."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """`text` as a double-quoted XML attribute value (whitespace kept as character references)."""
    quoted = escape(text).replace('"', "&quot;")
    return '"' + quoted.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;") + '"'


def _declaration(prefix: str) -> str:
    return f"xmlns:{prefix}" if prefix else "xmlns"


def xml_name(name: str) -> str:
    """`name` as a valid XML name: other characters become `_`, and it starts with a letter or `_`."""
    cleaned = _NOT_IN_NAME.sub("_", name) or "_"
    if not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = "_" + cleaned
    return cleaned


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = str(value)
    return text if text.isprintable() else _not_xml_text().sub("\ufffd", text)


@lru_cache(maxsize=1)
def _not_xml_text() -> re.Pattern[str]:
    return re.compile(_NOT_XML_TEXT)


def _local(name: str) -> str:
    """A name without its namespace: `{http://example.com/ns}pet` -> `pet`."""
    return name.rpartition("}")[2]


def _scalar(text: str, types: frozenset[str]) -> Any:
    """The text of an element or attribute as the value its schema types make of it (the text itself when
    none does: validation then reports the mismatch)."""
    if not types or "string" in types:
        return text
    stripped = text.strip()
    if types & {"integer", "number"}:
        if _INTEGER.fullmatch(stripped):
            return int(stripped)
        try:
            number = float(stripped)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return int(number) if "integer" in types and number.is_integer() else number
    if "boolean" in types and stripped in ("true", "false"):
        return stripped == "true"
    if "null" in types and stripped in ("", "null"):
        return None
    return text


def _deeper_than(root: Element, limit: int) -> bool:
    pending = [(root, 1)]
    while pending:
        element, depth = pending.pop()
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in element)
    return False


def _untyped(element: Element) -> Any:
    """An element no schema describes: text, or an object of its attributes and children (a name that
    repeats holds a list)."""
    if not len(element) and not element.attrib:
        return element.text or ""
    result: dict[str, Any] = {_local(name): value for name, value in element.attrib.items()
                              if not name.startswith(f"{{{_XSI}}}")}
    for child in element:
        name = _local(child.tag)
        result[name] = _appended(result[name], _untyped(child)) if name in result else _untyped(child)
    return result


def _appended(earlier: Any, value: Any) -> list[Any]:
    """A repeated element: the values so far as a list, with `value` added."""
    return [*(earlier if isinstance(earlier, list) else [earlier]), value]
