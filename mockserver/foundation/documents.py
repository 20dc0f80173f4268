"""Reading JSON and YAML documents (specs, fixtures, config, contracts): limits, parse cache, clear problems.

YAML is read with a safe loader that follows the YAML 1.2 core schema, like JSON and most OpenAPI
tools: dates and times stay strings (`2024-01-01`), only `true`/`false` are booleans (`no`, `on` stay
strings), and mapping keys are kept as written (`200:` is the key "200", not the integer 200).

A file larger than `MAX_FILE_BYTES` is refused, and so is a YAML document whose aliases (`*name`)
would expand it to more than `MAX_EXPANDED_VALUES` values (a "billion laughs" document: nine lists of
nine aliases to the list before weigh a few hundred bytes and expand to hundreds of millions of values,
which anything that walks or copies the data, serializing an answer for one, would build in memory).

Parsing YAML is slow (tens of milliseconds for a 100 KB file, even with libyaml), so what a file
parses to is kept in a cache folder, by the hash of the file's bytes and of the parser's version: like
Python's `.pyc` files, an entry is never stale, and an edited file is simply parsed again. The folder
is `$MOCKSERVER_CACHE_DIR`, else `$XDG_CACHE_HOME/mockserver`, else `~/.cache/mockserver`;
`MOCKSERVER_CACHE_DIR=` (empty) turns the cache off. A cache that cannot be read or written is
ignored: it only ever saves time. Other values worked out from files' bytes are kept there the same way
(`cache_entry`, `read_cache`, `write_cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from mockserver.foundation.problems import TAB_REASON, Problem, is_tab_at

JSON_SUFFIXES = (".json",)
YAML_SUFFIXES = (".yaml", ".yml")
DOCUMENT_SUFFIXES = JSON_SUFFIXES + YAML_SUFFIXES
# Finding the line of a pointer re-parses the file; beyond this size it is not worth the time.
MAX_BYTES_FOR_LINE_LOOKUP = 5_000_000
MAX_FILE_BYTES = 128 * 1024 * 1024  # the largest published specs weigh tens of MB
MAX_EXPANDED_VALUES = 5_000_000  # what aliases may add to a YAML document (each alias counts its whole node)

_YAML_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REPLACED_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp")}
_CORE_SCHEMA_RESOLVERS = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
)


class _YamlLoader(_YAML_BASE):  # type: ignore[valid-type,misc]
    """Safe loader with YAML 1.2 core scalars and string keys; remembers duplicate keys."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        own_count = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.flatten_mapping(node)
        first_own = len(node.value) - own_count  # pairs before this index come from `<<` merge keys
        mapping: dict[str, Any] = {}
        own_keys: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            key = _mapping_key(key_node)
            if index >= first_own:
                if key in own_keys:
                    self.duplicate_keys.append((key, key_node.start_mark.line + 1))
                own_keys.add(key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


for _tag, _pattern, _first in _CORE_SCHEMA_RESOLVERS:
    _YamlLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _as_written(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _not_json(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag} makes data JSON cannot hold; an OpenAPI document is JSON data",
        node.start_mark,
    )


# Explicit tags must not bring in values JSON does not have: dates and binary stay text, sets are refused.
_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)
_YamlLoader.add_constructor("tag:yaml.org,2002:binary", _as_written)
for _tag in ("set", "omap", "pairs"):
    _YamlLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_json)


def _mapping_key(key_node: yaml.Node) -> str:
    if isinstance(key_node, yaml.ScalarNode):
        return key_node.value
    raise yaml.constructor.ConstructorError(
        None, None, "mapping keys must be plain strings, not lists or mappings", key_node.start_mark
    )


@dataclass
class SourceFile:
    """One file read from disk: how to name it in messages, where it is, and its data."""

    display: str  # the name used in messages, e.g. "openapi/items.yaml"
    path: Path  # absolute
    data: Any
    warnings: list[Problem] = field(default_factory=list)
    may_share_nodes: bool = False  # YAML aliases can make one object appear in several places

    @property
    def directory(self) -> Path:
        return self.path.parent


class FileReadError(Exception):
    """The file could not be read or parsed; `problem` says why and where."""

    def __init__(self, problem: Problem, *, parse_error: bool = False) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.parse_error = parse_error  # the file exists but its content is not valid JSON/YAML


def read_source(path: Path, display: str) -> SourceFile:
    """Read and parse one JSON or YAML file (by its suffix; YAML for anything but `.json`)."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileReadError(Problem(display, "", f"the file is larger than {MAX_FILE_BYTES // 2**20} MB; "
                                                     "refused (a spec or fixture file is far smaller)"))
        content = path.read_bytes()
        text = content.decode("utf-8-sig")
    except FileNotFoundError:
        raise FileReadError(Problem(display, "", "file not found")) from None
    except IsADirectoryError:
        raise FileReadError(Problem(display, "", "is a directory, not a file")) from None
    except UnicodeDecodeError as exc:
        raise FileReadError(Problem(display, "", f"not UTF-8 text ({exc.reason})")) from None
    except OSError as exc:
        raise FileReadError(Problem(display, "", f"cannot read the file: {exc.strerror or exc}")) from None
    if path.suffix.lower() in JSON_SUFFIXES:
        return SourceFile(display, path, _parse_json(text, display))
    data, duplicates = _parse_yaml_cached(content, text, display)
    warnings = [
        Problem(display, "", f"duplicate key '{key}' in a mapping: the last value wins", line)
        for key, line in duplicates
    ]
    return SourceFile(display, path, data, warnings, may_share_nodes="*" in text)


def _parse_json(text: str, display: str) -> Any:
    if not text.strip():
        raise FileReadError(Problem(display, "", "the file is empty"))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise FileReadError(Problem(display, "", message, exc.lineno), parse_error=True) from None
    except RecursionError:
        problem = Problem(display, "", "invalid JSON: nested too deeply")
        raise FileReadError(problem, parse_error=True) from None


def _parse_yaml_cached(content: bytes, text: str, display: str) -> tuple[Any, list[tuple[str, int]]]:
    """`_parse_yaml`, or what the same bytes parsed to before (see the module's docstring)."""
    entry = _cache_entry(content)
    if entry is not None:
        found = _read_cached(entry)
        if found is not None:
            return found
    parsed = _parse_yaml(text, display)
    if entry is not None:
        write_cache(entry, parsed)
    return parsed


def _parse_yaml(text: str, display: str) -> tuple[Any, list[tuple[str, int]]]:
    loader = _YamlLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise FileReadError(_yaml_problem(exc, display, text), parse_error=True) from None
    # Any other failure of the constructor is still bad input (e.g. nesting too deep), never a traceback.
    except Exception as exc:
        problem = Problem(display, "", f"invalid YAML: {_one_line(str(exc))}")
        raise FileReadError(problem, parse_error=True) from None
    finally:
        loader.dispose()
    if data is None:
        raise FileReadError(Problem(display, "", "the file is empty"))
    if "&" in text and "*" in text:  # only anchors and aliases can make data contain itself, or expand
        if _contains_itself(data):
            message = ("invalid YAML: an alias (*name) is used inside the node it names; data cannot contain "
                       "itself (recursive schemas need $ref)")
            raise FileReadError(Problem(display, "", message), parse_error=True)
        if _expanded_size(data) > MAX_EXPANDED_VALUES:
            message = (f"refused: its aliases (*name) expand it to more than {MAX_EXPANDED_VALUES:,} values "
                       "(a \"billion laughs\" document); write the repeated parts once, or use $ref")
            raise FileReadError(Problem(display, "", message), parse_error=True)
    return data, loader.duplicate_keys


def _expanded_size(data: Any) -> int:
    """How many values `data` holds once every alias is expanded (shared nodes counted each time they
    appear); computed over the shared nodes, each once."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = [child for child in (node.values() if isinstance(node, dict) else node)
                    if isinstance(child, (dict, list))]
        if children_done:
            scalars = len(node) - len(children)
            sizes[id(node)] = 1 + scalars + sum(sizes[id(child)] for child in children)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(data)] if isinstance(data, (dict, list)) else 1


def _contains_itself(data: Any) -> bool:
    """True when a list or mapping is reachable from itself (depth-first, without recursion)."""
    on_path: set[int] = set()
    finished: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            finished.add(id(node))
            continue
        if id(node) in on_path:
            return True
        if id(node) in finished:
            continue
        on_path.add(id(node))
        stack.append((node, True))
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, False) for child in children if isinstance(child, (dict, list)))
    return False


# -- the cache of parsed YAML ----------------------------------------------------------------------

CACHE_ENVIRONMENT_VARIABLE = "MOCKSERVER_CACHE_DIR"
# Bump when what a YAML file parses to changes (the loader's rules above): older entries are then unused.
_PARSER_VERSION = 2
_CACHE_MAX_ENTRIES = 1000
_CACHE_MAX_BYTES = 256 * 1024 * 1024
_CACHE_MIN_BYTES = 512  # smaller files parse faster than an entry is found


def cache_folder() -> Path | None:
    """Where parsed YAML is kept, or None when the cache is off."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mockserver"


def _cache_entry(content: bytes) -> Path | None:
    if len(content) < _CACHE_MIN_BYTES:
        return None
    return cache_entry("yaml", _CACHE_SALT, content)


def cache_entry(kind: str, *parts: bytes) -> Path | None:
    """Where a value worked out from `parts` (bytes that decide it, versions included) is kept, in the
    cache folder's `kind` subfolder; None when the cache is off."""
    folder = cache_folder()
    if folder is None:
        return None
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return folder / kind / f"{digest.hexdigest()}.marshal"


# What else decides what the bytes parse to: the parser's rules, Python's and PyYAML's versions, libyaml.
_CACHE_SALT = (f"mockserver yaml {_PARSER_VERSION} {sys.version} {getattr(yaml, '__version__', '?')} "
               f"{_YAML_BASE.__name__} {marshal.version}\0").encode()


def _read_cached(entry: Path) -> tuple[Any, list[tuple[str, int]]] | None:
    found = read_cache(entry)
    if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[1], list)):
        return None
    return found[0], found[1]


def read_cache(entry: Path) -> Any:
    """What `write_cache` kept at `entry`, or None."""
    try:
        found = marshal.loads(entry.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: kept when the folder is pruned
    return found


def write_cache(entry: Path, value: Any) -> None:
    """Keep `value` (built-in types only; silently not, when the folder cannot be written), written whole
    or not at all; the folder is pruned of its least recently used entries."""
    try:
        payload = marshal.dumps(value)  # keeps aliases: an object met twice is loaded as one object
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(payload)
            os.replace(temporary, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(entry.parent)
    except (OSError, ValueError):
        pass


def _prune(folder: Path) -> None:
    """Drop the least recently used entries when there are too many, or too many bytes of them."""
    entries = []
    for item in os.scandir(folder):
        if item.name.endswith(".marshal"):
            with contextlib.suppress(OSError):
                stat = item.stat()
                entries.append((stat.st_mtime, stat.st_size, item.path))
    total = sum(size for _, size, _ in entries)
    if len(entries) <= _CACHE_MAX_ENTRIES and total <= _CACHE_MAX_BYTES:
        return
    entries.sort()
    while entries and (len(entries) > _CACHE_MAX_ENTRIES * 3 // 4 or total > _CACHE_MAX_BYTES * 3 // 4):
        _, size, path = entries.pop(0)
        with contextlib.suppress(OSError):
            os.unlink(path)
        total -= size


def _yaml_problem(exc: yaml.MarkedYAMLError, display: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    reason = " ".join(part for part in (exc.context, exc.problem) if part) or "cannot parse"
    if mark is not None and is_tab_at(text, mark.line, mark.column):
        reason = TAB_REASON
    if mark is None:
        return Problem(display, "", f"invalid YAML: {_one_line(reason)}")
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return Problem(display, "", f"invalid YAML: {_one_line(reason)} ({where})", mark.line + 1)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class LineFinder:
    """Adds line numbers to problems about JSON/YAML files (re-parsing each file at most once)."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = paths  # display name -> file
        self._roots: dict[str, yaml.Node | None] = {}

    def with_lines(self, problems: list[Problem]) -> list[Problem]:
        return [self._with_line(problem) for problem in problems]

    def _with_line(self, problem: Problem) -> Problem:
        if problem.line is not None or not problem.pointer or problem.file not in self._paths:
            return problem
        root = self._root(problem.file)
        return problem if root is None else replace(problem, line=_line_in_node(root, problem.pointer))

    def _root(self, display: str) -> yaml.Node | None:
        if display not in self._roots:
            self._roots[display] = _compose(self._paths[display])
        return self._roots[display]


def _compose(path: Path) -> yaml.Node | None:
    try:
        if path.stat().st_size > MAX_BYTES_FOR_LINE_LOOKUP:
            return None
        return yaml.compose(path.read_text("utf-8-sig"), Loader=_YamlLoader)
    # Line numbers are a courtesy: a file YAML cannot compose (rare JSON escapes) simply has none.
    except Exception:
        return None


def _line_in_node(node: yaml.Node, pointer: str) -> int:
    line = node.start_mark.line + 1
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, yaml.MappingNode):
            pair = next((pair for pair in node.value if isinstance(pair[0], yaml.ScalarNode)
                         and pair[0].value == token), None)
            if pair is None:
                return line
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
            node = node.value[int(token)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
