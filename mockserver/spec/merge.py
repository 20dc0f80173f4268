"""Merging OpenAPI slices (one document per file) into one document, remembering where each part came from.

Paths are united (path items of the same URL merge per method), components merge by name (identical
definitions are fine, different ones are a problem), `servers` and `info` come from the first document,
`security` and `tags` are united. Nothing is deep-copied: the merged document shares the slices' objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockserver.foundation.documents import SourceFile
from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.model import HTTP_METHODS
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve
from mockserver.spec.refs import EXTERNAL_ROOT

_FIRST_DOCUMENT_WINS = ("openapi", "info", "jsonSchemaDialect", "servers", "externalDocs")
_MERGED_KEYS = frozenset({*_FIRST_DOCUMENT_WINS, "paths", "components", "webhooks", "security", "tags"})
_MAX_REF_HOPS = 16


@dataclass
class Slice:
    """One OpenAPI document read from one file."""

    source: SourceFile
    version: str  # as declared: "3.0.3"

    @property
    def document(self) -> dict[str, Any]:
        return self.source.data

    @property
    def file(self) -> str:
        return self.source.display


class Origins:
    """Maps pointers of the merged document back to (file, pointer inside that file)."""

    def __init__(self, default_file: str) -> None:
        self.default_file = default_file
        self._prefixes: dict[str, tuple[str, str]] = {}

    def add(self, merged_pointer: str, file: str, file_pointer: str) -> None:
        self._prefixes.setdefault(merged_pointer, (file, file_pointer))

    def locate(self, pointer: str) -> tuple[str, str]:
        """The file and in-file pointer of a merged-document pointer (by its longest known prefix)."""
        probe = pointer
        while probe:
            found = self._prefixes.get(probe)
            if found is not None:
                file, file_pointer = found
                return file, file_pointer + pointer[len(probe):]
            probe = probe[: probe.rfind("/")]
        return self.default_file, pointer


@dataclass
class Merged:
    document: dict[str, Any]
    origins: Origins
    problems: list[Problem] = field(default_factory=list)


def merge_slices(slices: list[Slice], embedded: dict[str, Any], title_for_many: str) -> Merged:
    """Merge the slices (in order) into one document; `embedded` holds the external files by key."""
    return _Merger(slices, embedded, title_for_many).merge()


class _Merger:
    def __init__(self, slices: list[Slice], embedded: dict[str, Any], title_for_many: str) -> None:
        self.slices = slices
        self.embedded = embedded
        self.title_for_many = title_for_many
        self.origins = Origins(slices[0].file)
        self.problems: list[Problem] = []
        self._copied_path_items: set[str] = set()

    def merge(self) -> Merged:
        document: dict[str, Any] = {}
        for key in _FIRST_DOCUMENT_WINS:
            value = next((s.document[key] for s in self.slices if key in s.document), MISSING)
            if value is not MISSING:
                document[key] = value
        if "info" in document:
            document["info"] = self._info(document["info"])
        security = self._security()
        if security is not MISSING:
            document["security"] = security
        tags = self._tags()
        if tags:
            document["tags"] = tags
        document["paths"] = self._paths()
        for section in ("webhooks", "components"):
            merged = self._components() if section == "components" else self._named_entries(section)
            if merged is not None:
                document[section] = merged
        self._other_keys(document)
        if self.embedded:
            document[EXTERNAL_ROOT] = self.embedded
        return Merged(document, self.origins, self.problems)

    def _info(self, first: Any) -> Any:
        infos = [s.document.get("info") for s in self.slices]
        titles = {str(info.get("title")) for info in infos if isinstance(info, dict)}
        if len(titles) > 1 and isinstance(first, dict):
            return {**first, "title": self.title_for_many}
        return first

    # --- paths -----------------------------------------------------------------------------------------

    def _paths(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        contributions: dict[str, list[tuple[Slice, Any]]] = {}
        for piece in self.slices:
            paths = piece.document.get("paths", {})
            if not isinstance(paths, dict):
                self.problems.append(Problem(piece.file, "/paths", "paths must be an object of URLs"))
                continue
            for url, item in paths.items():
                pointer = join_pointer("paths", url)
                if url not in merged:
                    merged[url] = item
                    self.origins.add(pointer, piece.file, pointer)
                elif str(url).startswith("x-"):
                    continue
                else:
                    merged[url] = self._merge_path_item(url, merged[url], item, piece, contributions[url])
                contributions.setdefault(url, []).append((piece, item))
                self._record_operations(url, item, piece)
        for url, pieces in contributions.items():
            if len(pieces) > 1 and isinstance(merged[url], dict):
                self._reconcile_path_parameters(merged[url], pieces)
        return merged

    def _record_operations(self, url: str, item: Any, piece: Slice) -> None:
        if isinstance(item, dict):
            for method in HTTP_METHODS:
                if method in item:
                    pointer = join_pointer("paths", url, method)
                    self.origins.add(pointer, piece.file, pointer)

    def _merge_path_item(
        self, url: str, existing: Any, item: Any, piece: Slice, earlier: list[tuple[Slice, Any]]
    ) -> Any:
        first_file = earlier[0][0].file
        if not _is_plain_object(existing) or not _is_plain_object(item):
            if existing != item:
                self.problems.append(Problem(
                    piece.file, join_pointer("paths", url),
                    f"path {url} is also defined in {first_file}; a path split over several files must be "
                    "an object in each (not a $ref)",
                ))
            return existing
        merged = existing
        if url not in self._copied_path_items:  # copy once: never alter a slice's own path item
            self._copied_path_items.add(url)
            merged = dict(existing)
        for key, value in item.items():
            if key in HTTP_METHODS and key in merged:
                owner = next(p.file for p, i in earlier if isinstance(i, dict) and key in i)
                self.problems.append(Problem(
                    piece.file, join_pointer("paths", url, key),
                    f"{key.upper()} {url} is also defined in {owner}: each operation must be defined once",
                ))
            elif key not in merged:
                merged[key] = value
        return merged

    def _reconcile_path_parameters(self, merged: dict[str, Any], pieces: list[tuple[Slice, Any]]) -> None:
        """Path-level parameters that differ between files move into each file's own operations."""
        declared = [item.get("parameters", []) for _, item in pieces if isinstance(item, dict)]
        if all(parameters == declared[0] for parameters in declared):
            return
        merged.pop("parameters", None)
        for piece, item in pieces:
            path_parameters = item.get("parameters", [])
            if not isinstance(path_parameters, list) or not path_parameters:
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    operation["parameters"] = self._with_path_parameters(piece, path_parameters, operation)

    def _with_path_parameters(
        self, piece: Slice, path_parameters: list[Any], operation: dict[str, Any]
    ) -> Any:
        own = operation.get("parameters", [])
        if not isinstance(own, list):
            return own
        own_keys = {self._parameter_key(piece, parameter) for parameter in own}
        inherited = [p for p in path_parameters if self._parameter_key(piece, p) not in own_keys]
        return inherited + own

    def _parameter_key(self, piece: Slice, parameter: Any) -> tuple[str, str]:
        target = parameter
        for _ in range(_MAX_REF_HOPS):
            ref = target.get("$ref") if isinstance(target, dict) else None
            if not (isinstance(ref, str) and ref.startswith("#")):
                break
            target = self._resolve_in_slice(piece, ref)
        if isinstance(target, dict) and isinstance(target.get("name"), str):
            location = str(target.get("in"))
            name = target["name"].lower() if location == "header" else target["name"]
            return location, name
        return "unknown", repr(parameter)

    def _resolve_in_slice(self, piece: Slice, ref: str) -> Any:
        pointer = fragment_pointer(ref[1:])
        root = {EXTERNAL_ROOT: self.embedded} if pointer.startswith(f"/{EXTERNAL_ROOT}/") else piece.document
        return resolve(root, pointer)

    # --- security and tags -----------------------------------------------------------------------------

    def _security(self) -> Any:
        declared = [s.document.get("security", MISSING) for s in self.slices]
        if all(value == declared[0] for value in declared):
            return declared[0]
        # Files disagree: each file's global requirement moves into its operations, so none changes meaning.
        for piece, security in zip(self.slices, declared, strict=True):
            self._push_security_down(piece, [] if security is MISSING else security)
        united: list[Any] = []
        for security in declared:
            if isinstance(security, list):
                united.extend(requirement for requirement in security if requirement not in united)
        return united

    @staticmethod
    def _push_security_down(piece: Slice, security: Any) -> None:
        paths = piece.document.get("paths")
        for item in paths.values() if isinstance(paths, dict) else ():
            for method in HTTP_METHODS:
                operation = item.get(method) if _is_plain_object(item) else None
                if isinstance(operation, dict) and "security" not in operation:
                    operation["security"] = security

    def _tags(self) -> list[Any]:
        tags: list[Any] = []
        names: set[str] = set()
        for piece in self.slices:
            declared = piece.document.get("tags", [])
            for tag in declared if isinstance(declared, list) else ():
                name = tag.get("name") if isinstance(tag, dict) else None
                if isinstance(name, str):
                    if name not in names:
                        names.add(name)
                        tags.append(tag)
                elif tag not in tags:
                    tags.append(tag)
        return tags

    # --- components and other named entries ------------------------------------------------------------

    def _components(self) -> dict[str, Any] | None:
        merged: dict[str, Any] = {}
        owners: dict[str, str] = {}
        found = False
        for piece in self.slices:
            components = piece.document.get("components", MISSING)
            if components is MISSING:
                continue
            found = True
            if not isinstance(components, dict):
                self.problems.append(Problem(piece.file, "/components", "components must be an object"))
                continue
            for section, entries in components.items():
                pointer = join_pointer("components", section)
                if str(section).startswith("x-"):
                    merged.setdefault(section, entries)
                elif not isinstance(entries, dict):
                    message = f"components.{section} must be an object"
                    self.problems.append(Problem(piece.file, pointer, message))
                else:
                    self._merge_entries(merged.setdefault(section, {}), entries, piece, pointer, owners)
        return merged if found else None

    def _named_entries(self, key: str) -> dict[str, Any] | None:
        merged: dict[str, Any] = {}
        owners: dict[str, str] = {}
        found = False
        for piece in self.slices:
            entries = piece.document.get(key, MISSING)
            if entries is MISSING:
                continue
            found = True
            if not isinstance(entries, dict):
                self.problems.append(Problem(piece.file, f"/{key}", f"{key} must be an object"))
                continue
            self._merge_entries(merged, entries, piece, f"/{key}", owners)
        return merged if found else None

    def _merge_entries(
        self, merged: dict[str, Any], entries: dict[str, Any], piece: Slice, pointer: str,
        owners: dict[str, str],
    ) -> None:
        for name, value in entries.items():
            entry_pointer = pointer + join_pointer(name)
            if name not in merged:
                merged[name] = value
                owners[entry_pointer] = piece.file
                self.origins.add(entry_pointer, piece.file, entry_pointer)
            elif merged[name] != value:
                self.problems.append(Problem(
                    piece.file, entry_pointer,
                    f"conflicts with {entry_pointer} in {owners[entry_pointer]}: two different definitions "
                    f"share the name '{name}' (make them identical or rename one)",
                ))

    def _other_keys(self, document: dict[str, Any]) -> None:
        """Root keys OpenAPI does not define (mostly `x-` extensions): objects merge by name, first wins."""
        for piece in self.slices:
            for key, value in piece.document.items():
                if key in _MERGED_KEYS:
                    continue
                if key not in document:
                    document[key] = dict(value) if isinstance(value, dict) else value
                elif isinstance(document[key], dict) and isinstance(value, dict):
                    for name, entry in value.items():
                        document[key].setdefault(name, entry)


def _is_plain_object(item: Any) -> bool:
    """A path item written out (an object without `$ref`)."""
    return isinstance(item, dict) and "$ref" not in item
