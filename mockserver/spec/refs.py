"""`$ref` handling: make every reference local by embedding external files, then check every target.

External files (`schemas/pet.yaml#/Pet`, relative to the referring file) are read once each and embedded
under `/x-mockserver-external/<name>` of the merged document; references to them, and the local references
inside them, are rewritten to point there. Each slice is walked exactly once, without copying.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mockserver.foundation.documents import FileReadError, SourceFile, read_source
from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.pointers import MISSING, as_fragment, fragment_pointer, is_pointer_fragment, resolve

EXTERNAL_ROOT = "x-mockserver-external"

# Objects whose keys are names chosen by the author (not OpenAPI or JSON Schema keywords).
_NAME_MAPS = frozenset(
    {
        "paths", "webhooks", "schemas", "responses", "parameters", "requestBodies", "headers",
        "securitySchemes", "links", "callbacks", "pathItems", "properties", "patternProperties", "$defs",
        "definitions", "dependentSchemas", "content", "encoding", "variables", "scopes",
    }
)
# Name maps that may also hold `x-` extensions among their names.
_EXTENSIBLE_NAME_MAPS = frozenset({"paths", "responses"})
# Keywords whose values are literal data: a `$ref` in there is just data.
_LITERAL_KEYS = ("example", "default", "enum", "const", "value")
# What the walk does with the value of a key (of an object that is not a name map); others: descend.
_LITERAL, _NAME_MAP, _EXAMPLES, _MAPPING = range(4)
_KEY_RULES = {
    **dict.fromkeys(_LITERAL_KEYS, _LITERAL),
    **dict.fromkeys(_NAME_MAPS, _NAME_MAP),
    "examples": _EXAMPLES,  # OpenAPI: a name map of Example objects; JSON Schema: a list of literal values
    "mapping": _MAPPING,  # in a discriminator: names -> schema references
}
_UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
# A rewritten reference to an embedded file, as it may appear in a message (ends at a quote or a space).
_EMBEDDED_REFERENCE = re.compile(rf"#/{EXTERNAL_ROOT}/[^\s\"'`]*")
_MAX_REF_HOPS = 64

# A position in the tree, kept as a linked chain of (parent, token) so pointers are only built when needed.
_Chain = tuple[Any, str | int] | None


@dataclass(frozen=True)
class RefSite:
    """One reference found in a file: where it is written and where it points in the merged document."""

    file: str
    chain: _Chain  # where the reference itself is in `file`: see `pointer`
    written: str  # the reference as the author wrote it
    target: str  # JSON pointer of the target in the merged document
    target_file: str  # the file the target lives in
    target_pointer: str  # the target's pointer inside `target_file`
    in_extension: bool  # written inside an `x-` extension: unresolved ones are tolerated

    @property
    def pointer(self) -> str:
        """The pointer of the reference itself in `file`, e.g. ".../schema/$ref" (built only when needed)."""
        return _pointer_of(self.chain)


@dataclass
class _Context:
    source: SourceFile
    prefix: str  # "" for a slice; "/x-mockserver-external/<key>" for an embedded file


class RefResolver:
    """Rewrites the references of slices to local ones, embedding the external files they use."""

    def __init__(
        self, root_dir: Path, slices: Iterable[SourceFile] = (), *, allow_outside: bool = False
    ) -> None:
        self.root_dir = root_dir
        # Files outside the spec's folder are not read unless allowed: a spec from elsewhere (a pull request
        # checked in CI) must not make the mock read, and print, any file the user can read.
        self._inside = None if allow_outside else Path(os.path.realpath(root_dir))
        # A reference to one of the slices (often the root document, from a file it refers to) points into
        # the merged document, where the slice's parts keep their pointers: the slice is not embedded again.
        self._slices = {Path(os.path.normpath(source.path)): _Context(source, "") for source in slices}
        self.embedded: dict[str, Any] = {}  # key under EXTERNAL_ROOT -> the file's data
        self.external_files: list[SourceFile] = []
        self.sites: list[RefSite] = []
        self.problems: list[Problem] = []
        self._contexts: dict[Path, _Context] = {}
        self._failures: dict[Path, FileReadError] = {}
        self._reported_failures: set[Path] = set()
        self._pending: list[_Context] = []

    def origin_of_embedded(self) -> dict[str, str]:
        """Key under EXTERNAL_ROOT -> the display name of the embedded file."""
        return {context.prefix.rsplit("/", 1)[1]: context.source.display
                for context in self._contexts.values()}

    def rewrite(self, source: SourceFile) -> None:
        """Rewrite the references of one slice (and of every external file it reaches)."""
        self._walk(source.data, _Context(source, ""))
        while self._pending:
            context = self._pending.pop()
            self._walk(context.source.data, context)

    def _walk(self, root: Any, context: _Context) -> None:
        # Entries: (node, chain, inside an extension, node is a name map). YAML aliases may share nodes.
        stack: list[tuple[Any, _Chain, bool, bool]] = [(root, None, False, False)]
        seen: set[int] = set()
        may_share_nodes = context.source.may_share_nodes
        while stack:
            node, chain, in_extension, is_name_map = stack.pop()
            if may_share_nodes:
                if id(node) in seen:
                    continue
                seen.add(id(node))
            if isinstance(node, list):
                stack.extend(
                    (item, (chain, index), in_extension, False)
                    for index, item in enumerate(node)
                    if isinstance(item, (dict, list))
                )
                continue
            if not isinstance(node, dict):
                continue  # a file holding a single value
            if is_name_map:
                self._walk_name_map(node, chain, in_extension, stack)
                continue
            if isinstance(node.get("$ref"), str):
                self._visit_ref(node, "$ref", chain, context, in_extension)
            for key, value in node.items():
                if type(value) is not dict and type(value) is not list:
                    continue
                rule = _KEY_RULES.get(key)
                if rule is None or (rule == _MAPPING and "propertyName" not in node):
                    stack.append((value, (chain, key), in_extension or key.startswith("x-"), False))
                elif rule == _NAME_MAP or (rule == _EXAMPLES and type(value) is dict):
                    stack.append((value, (chain, key), in_extension, True))
                elif rule == _MAPPING and type(value) is dict:
                    self._visit_discriminator_mapping(value, (chain, key), context, in_extension)

    @staticmethod
    def _walk_name_map(
        node: dict[str, Any], chain: _Chain, in_extension: bool, stack: list[tuple[Any, _Chain, bool, bool]]
    ) -> None:
        extensible = chain is not None and chain[1] in _EXTENSIBLE_NAME_MAPS
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                child_in_extension = in_extension or (extensible and str(key).startswith("x-"))
                stack.append((value, (chain, key), child_in_extension, False))

    def _visit_discriminator_mapping(
        self, mapping: dict[str, Any], chain: _Chain, context: _Context, in_extension: bool
    ) -> None:
        for name, value in mapping.items():
            # Bare names ("Dog") name a component schema; anything with `#` or `/` is a reference.
            if isinstance(value, str) and ("#" in value or "/" in value):
                self._visit_ref(mapping, name, chain, context, in_extension)

    def _visit_ref(
        self, holder: dict[str, Any], key: str, chain: _Chain, context: _Context, in_extension: bool
    ) -> None:
        written: str = holder[key]
        file_part, _, fragment = written.partition("#")
        if not is_pointer_fragment(fragment):
            return  # a plain-name anchor (`#node`): JSON Schema resolves it by itself
        pointer = fragment_pointer(fragment)
        site: _Chain = (chain, key)
        target_context: _Context | None = context
        if file_part:
            target_context = self._external(file_part, written, site, context, in_extension)
        if target_context is None:
            return
        target = target_context.prefix + pointer
        local = "#" + as_fragment(target)
        if local != written:
            holder[key] = local
        self.sites.append(RefSite(context.source.display, site, written, target,
                                  target_context.source.display, pointer, in_extension))

    def _external(
        self, file_part: str, written: str, site: _Chain, context: _Context, in_extension: bool
    ) -> _Context | None:
        """The embedded file a reference names, reading it on first use; None (and a problem) if unusable."""
        url = urlsplit(file_part)
        if len(url.scheme) > 1 and url.scheme != "file":  # one letter: a Windows drive, not a scheme
            if not in_extension:
                self.problems.append(Problem(
                    context.source.display, _pointer_of(site),
                    f"$ref '{written}': remote references are not supported; save the document next to "
                    "the spec and refer to it by a relative path",
                ))
            return None
        relative = unquote(url.path if url.scheme == "file" else file_part)
        path = Path(os.path.normpath(context.source.directory / relative))
        if path in self._slices:
            return self._slices[path]
        if path in self._contexts:
            return self._contexts[path]
        failure = self._failures.get(path)
        display = os.path.normpath(os.path.join(os.path.dirname(context.source.display), relative))
        if failure is None and not self._may_read(path):
            if not in_extension:
                self.problems.append(Problem(
                    context.source.display, _pointer_of(site),
                    f"$ref '{written}': {display} is outside the spec's folder ({self.root_dir}); it is not "
                    "read unless allowed (--allow-ref-outside)",
                ))
            return None
        if failure is None:
            try:
                return self._embed(read_source(path, display))
            except FileReadError as exc:
                failure = self._failures[path] = exc
        if not in_extension:
            self._report_failure(path, failure, written, site, context)
        return None

    def _may_read(self, path: Path) -> bool:
        if self._inside is None:
            return True
        real = Path(os.path.realpath(path))  # a symbolic link inside that leads outside is outside
        return real == self._inside or self._inside in real.parents

    def as_written(self, message: str, file: str) -> str:
        """`message` with references to embedded files (`#/x-mockserver-external/...`) as the author wrote
        them, preferably as written in `file`."""
        if EXTERNAL_ROOT not in message:
            return message
        return _EMBEDDED_REFERENCE.sub(lambda found: self._written(found.group(0), file), message)

    def _written(self, local: str, file: str) -> str:
        target = fragment_pointer(local[1:])
        sites = [site for site in self.sites if site.target == target]
        site = next((site for site in sites if site.file == file), sites[0] if sites else None)
        if site is not None:
            return site.written
        key, _, rest = target[len(EXTERNAL_ROOT) + 2 :].partition("/")
        origin = self.origin_of_embedded().get(key)
        return local if origin is None else f"{origin}#/{rest}"

    def _report_failure(
        self, path: Path, failure: FileReadError, written: str, site: _Chain, context: _Context
    ) -> None:
        if failure.parse_error:  # the file's own problem, reported once with its line
            if path not in self._reported_failures:
                self._reported_failures.add(path)
                self.problems.append(failure.problem)
            return
        self.problems.append(Problem(
            context.source.display, _pointer_of(site),
            f"$ref '{written}': cannot use {failure.problem.file}: {failure.problem.message}",
        ))

    def _embed(self, source: SourceFile) -> _Context:
        key = self._unique_key(source.path)
        self.embedded[key] = source.data
        context = _Context(source, join_pointer(EXTERNAL_ROOT, key))
        self._contexts[source.path] = context
        self.external_files.append(source)
        self._pending.append(context)
        return context

    def _unique_key(self, path: Path) -> str:
        base = _UNSAFE_KEY_CHARACTERS.sub("_", os.path.relpath(path, self.root_dir))
        key, counter = base, 1
        while key in self.embedded:
            counter += 1
            key = f"{base}-{counter}"
        return key


def _pointer_of(chain: _Chain) -> str:
    tokens: list[str | int] = []
    while chain is not None:
        chain, token = chain
        tokens.append(token)
    return join_pointer(*reversed(tokens))


def check_targets(document: dict[str, Any], sites: list[RefSite]) -> list[Problem]:
    """A problem for every reference (outside `x-` extensions) whose target is missing or a `$ref` loop."""
    problems: list[Problem] = []
    reported_loops: set[frozenset[str]] = set()
    for site in sites:
        if site.in_extension:
            continue
        target = resolve(document, site.target)
        if target is MISSING:
            problems.append(Problem(site.file, site.pointer, _dangling_message(site)))
            continue
        loop = _ref_loop(document, site.target, target)
        if loop and frozenset(loop) not in reported_loops:
            reported_loops.add(frozenset(loop))
            chain = " -> ".join(loop)
            problems.append(Problem(site.file, site.pointer, f"$ref '{site.written}' is circular: {chain}"))
    return problems


def _dangling_message(site: RefSite) -> str:
    where = site.target_pointer or "/"
    if site.target == site.target_pointer:  # a local reference of a slice: resolved in the merged spec
        return f"$ref '{site.written}' points at nothing: there is no {where} in the spec"
    return f"$ref '{site.written}' points at nothing: {site.target_file} has no {where}"


def _ref_loop(document: dict[str, Any], pointer: str, target: Any) -> list[str]:
    """The pointers of a chain of pure references that comes back to itself (A -> B -> A), else []."""
    visited = [pointer]
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(target, dict) and len(target) == 1 and isinstance(target.get("$ref"), str)):
            return []
        ref = target["$ref"]
        if not ref.startswith("#/"):
            return []
        pointer = fragment_pointer(ref[1:])
        if pointer in visited:
            return [*visited[visited.index(pointer):], pointer]
        visited.append(pointer)
        target = resolve(document, pointer)
    return []


class ExternalValues:
    """Keeps messages from quoting text read from the files a spec refers to: the user named such a file in
    a `$ref`, not its content. Text every OpenAPI document may hold (`vocabulary`: keywords, type names) is
    not hidden. Collected on first use."""

    def __init__(self, embedded: dict[str, Any], vocabulary: Callable[[], set[str]] = set) -> None:
        self._embedded = embedded
        self._vocabulary = vocabulary
        self._strings: set[str] | None = None

    def redact(self, message: str) -> str:
        """`message` with each quoted string read from a referenced file replaced by '…'."""
        if not self._embedded or ("'" not in message and '"' not in message):
            return message
        return _QUOTED.sub(self._redacted, message)

    def _redacted(self, found: re.Match[str]) -> str:
        quoted = found.group(0)
        try:
            text = ast.literal_eval(quoted) if quoted.startswith("'") else json.loads(quoted)
        except (ValueError, SyntaxError):
            return quoted
        if self._strings is None:
            self._strings = _strings_of(self._embedded.values()) - self._vocabulary()
        return quoted[0] + "…" + quoted[0] if text in self._strings else quoted


# A string as Python's repr or JSON writes it (a message may quote values either way).
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _strings_of(roots: Iterable[Any]) -> set[str]:
    strings: set[str] = set()
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            strings.add(node)
        elif isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            pending.extend(node.values() if isinstance(node, dict) else node)
    return strings
