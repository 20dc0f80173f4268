"""Spec loading: read OpenAPI files (one or many slices), merge them, resolve `$ref`s, index operations."""

from mockserver.spec.loader import load_spec
from mockserver.spec.model import MediaType, Operation, Parameter, RequestBody, Response, Spec

__all__ = ["MediaType", "Operation", "Parameter", "RequestBody", "Response", "Spec", "load_spec"]
