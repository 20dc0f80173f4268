"""`load_spec`: a file or a directory of OpenAPI slices to a `Spec`, or a `LoadError` listing every problem.

The steps: read each document (`files`), make every `$ref` local (`refs`), merge the slices (`merge`),
check every reference target, optionally validate with openapi-spec-validator (`checks`), convert
OpenAPI 3.0 schemas to JSON Schema 2020-12 (`convert`), index the operations (`index`) and keep those
whose schemas are valid JSON Schema (`schemas`), so that every `schema_pointer` compiles.

A Swagger 2.0 document is converted to OpenAPI 3.0 once its references are local (`swagger2`), and its
problems still name its own places. Problems that make the spec unusable (unreadable files, parse errors,
duplicates, conflicting components, dangling references, documents that are not Swagger 2.0 or OpenAPI
3.0/3.1) always raise. Validation findings and
skipped operations are warnings, unless `strict` makes them errors too.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from mockserver.foundation.documents import (
    DOCUMENT_SUFFIXES,
    FileReadError,
    LineFinder,
    SourceFile,
    read_source,
)
from mockserver.foundation.problems import LoadError, Problem, join_pointer
from mockserver.spec.convert import convert_openapi30_schemas
from mockserver.spec.index import Locate, base_path, index_operations
from mockserver.spec.merge import Merged, Slice, merge_slices
from mockserver.spec.model import Spec
from mockserver.spec.operations import duplicate_operation_ids, shared_routes, structured_text_bodies
from mockserver.spec.refs import EXTERNAL_ROOT, ExternalValues, RefResolver, check_targets
from mockserver.spec.schemas import drop_operations_with_invalid_schemas
from mockserver.spec.swagger2 import Relocations, convert_swagger2

SWAGGER_VERSION = "2.0"
_SUPPORTED_VERSION = re.compile(r"^3\.[01]\.\d+(?:-[0-9A-Za-z.-]+)?$")


def load_spec(
    path: str | os.PathLike[str],
    *,
    validate: bool = True,
    strict: bool = False,
    allow_ref_outside: bool = False,
) -> Spec:
    """Load the OpenAPI document at `path`, or every top-level `*.json`/`*.yaml`/`*.yml` file of a directory.

    A `$ref` to a file outside the spec's folder (the folder given, or the folder of the file given) is a
    problem unless `allow_ref_outside`. Raises LoadError carrying every problem found; never any other
    exception for bad input.
    """
    try:
        with _garbage_collection_paused():
            return _load(Path(path), str(path), validate=validate, strict=strict,
                         allow_ref_outside=allow_ref_outside)
    except LoadError:
        raise
    # A last resort so that no input can end in a traceback: name the spec and what went wrong.
    except Exception as exc:
        problem = Problem(str(path), "", f"cannot load the spec ({type(exc).__name__}: {exc})")
        raise LoadError([problem]) from exc


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Parsing creates millions of objects and no cycles: collecting while loading is wasted time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(path: Path, display: str, *, validate: bool, strict: bool, allow_ref_outside: bool) -> Spec:
    slices = _read_slices(path, display)
    merged, sources, resolver = _merge(slices, path, display, allow_ref_outside)
    lines = LineFinder({source.display: source.path for source in sources})

    def tidy(problems: list[Problem]) -> list[Problem]:
        """With line numbers, and references written as the author wrote them."""
        return [replace(problem, message=resolver.as_written(problem.message, problem.file))
                for problem in lines.with_lines(problems)]

    if merged.problems:
        raise LoadError(tidy(merged.problems))

    document = merged.document
    locate: Locate = merged.origins.locate
    version = slices[0].version
    warnings = [warning for source in sources for warning in source.warnings]
    if validate:
        from mockserver.spec.checks import openapi_vocabulary, validate_document  # slow to import

        external = ExternalValues(resolver.embedded, openapi_vocabulary)
        warnings += validate_document(document, version, locate, external)
    if version == SWAGGER_VERSION:  # served as the OpenAPI 3.0 it converts to; problems name 2.0 places
        document, relocations = convert_swagger2(document)
        locate = _relocated(merged.origins.locate, relocations)
    if version.startswith("3.0") or version == SWAGGER_VERSION:
        convert_openapi30_schemas(document)
    index = index_operations(document, locate)
    operations, dropped, unusable = drop_operations_with_invalid_schemas(document, index.operations, locate)
    unservable = index.in_document_order(index.unservable + dropped)
    routes = index.in_document_order(operations + unservable)
    duplicates = tidy(duplicate_operation_ids(routes))
    warnings = tidy(warnings + index.warnings + unusable)
    if duplicates:
        raise LoadError(duplicates + [w for w in warnings if not _about_duplicate_ids(w)])
    if strict and warnings:
        raise LoadError(warnings)
    return Spec(
        document=document,
        operations=tuple(operations),
        openapi_version=version,
        base_path=base_path(document),
        files=tuple(source.display for source in sources),
        warnings=tuple(warnings),
        unservable=tuple(unservable),
        notes=tuple(tidy(shared_routes(routes) + structured_text_bodies(operations, document))),
        routes=tuple(routes),
    )


def _relocated(locate: Locate, relocations: Relocations) -> Locate:
    return lambda pointer: locate(relocations.old(pointer))


def _about_duplicate_ids(problem: Problem) -> bool:
    """openapi-spec-validator's own finding of a duplicate operationId (reported better, as an error)."""
    return "Operation ID" in problem.message and "is not unique" in problem.message


def _merge(
    slices: list[Slice], path: Path, display: str, allow_ref_outside: bool
) -> tuple[Merged, list[SourceFile], RefResolver]:
    """One document with only local references, its problems, every file it was made of, and the resolver
    that embedded the external ones."""
    root_dir = (path if path.is_dir() else path.parent).absolute()
    resolver = RefResolver(root_dir, [piece.source for piece in slices], allow_outside=allow_ref_outside)
    for piece in slices:
        resolver.rewrite(piece.source)
    merged = merge_slices(slices, resolver.embedded, title_for_many=root_dir.name or display)
    for key, file in resolver.origin_of_embedded().items():
        merged.origins.add(join_pointer(EXTERNAL_ROOT, key), file, "")
    merged.problems[:0] = resolver.problems
    merged.problems += check_targets(merged.document, resolver.sites)
    return merged, [piece.source for piece in slices] + resolver.external_files, resolver


def _read_slices(path: Path, display: str) -> list[Slice]:
    """Read and check every document; raise with all the problems of all of them."""
    slices: list[Slice] = []
    problems: list[Problem] = []
    for file_path, file_display in _document_files(path, display):
        try:
            source = read_source(file_path.absolute(), file_display)
        except FileReadError as exc:
            problems.append(exc.problem)
            continue
        version_or_problem = _openapi_version(source)
        if isinstance(version_or_problem, Problem):
            problems.append(version_or_problem)
        else:
            slices.append(Slice(source, version_or_problem))
    problems += _mixed_versions(slices)
    if problems:
        raise LoadError(problems)
    return slices


def _document_files(path: Path, display: str) -> list[tuple[Path, str]]:
    if path.is_dir():
        files = sorted((entry for entry in path.iterdir() if _is_document(entry)), key=lambda e: e.name)
        if not files:
            message = "no OpenAPI documents here: expected *.json, *.yaml or *.yml files at its top level"
            raise LoadError([Problem(display, "", message)])
        return [(entry, os.path.join(display, entry.name)) for entry in files]
    if not path.exists():
        raise LoadError([Problem(display, "", "no such file or directory")])
    return [(path, display)]


def _is_document(entry: Path) -> bool:
    """A top-level spec file: JSON or YAML, and not hidden (editor and tool files start with a dot)."""
    return entry.is_file() and entry.suffix.lower() in DOCUMENT_SUFFIXES and not entry.name.startswith(".")


def _openapi_version(source: SourceFile) -> str | Problem:
    data, file = source.data, source.display
    if not isinstance(data, dict):
        return Problem(file, "", f"an OpenAPI document must be an object, but this file holds {_kind(data)}")
    if "swagger" in data:
        if data["swagger"] == SWAGGER_VERSION:
            return SWAGGER_VERSION
        return Problem(file, "/swagger", f"Swagger {data['swagger']!r} is not supported: Swagger 2.0 "
                                         '(written "2.0"), OpenAPI 3.0.x and 3.1.x documents are')
    if "openapi" not in data:
        return Problem(file, "", "not an OpenAPI document: the 'openapi' field is missing "
                                 "(for example `openapi: 3.1.0`)")
    version = data["openapi"]
    if not isinstance(version, str):
        return Problem(file, "/openapi", f"openapi must be a version string such as \"3.1.0\" "
                                         f"(quoted in YAML), found {version!r}")
    if not _SUPPORTED_VERSION.match(version):
        return Problem(file, "/openapi", f"OpenAPI {version} is not supported: "
                                         "only OpenAPI 3.0.x and 3.1.x documents are")
    return version


def _mixed_versions(slices: list[Slice]) -> list[Problem]:
    if not slices:
        return []
    first = slices[0]
    return [
        Problem(piece.file, "/openapi", f"declares OpenAPI {piece.version} but {first.file} declares "
                                        f"{first.version}: all documents must be 3.0 or all 3.1")
        for piece in slices[1:]
        if piece.version[:4] != first.version[:4]
    ]


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, bool):
        return "a boolean"
    if isinstance(data, (int, float)):
        return "a number"
    return "nothing" if data is None else type(data).__name__
