"""Stateful resources: collections and items inferred from a spec, their records and the store seam.

`inference` finds the resources (spec-level analysis, no runtime), `records` holds pure operations on
records (ids, timestamps, patches, filters, pages), `store` is the protocol a record store implements
(in memory in `mockserver.runtime.sessions`). The answers come from `mockserver.answers.stateful`.
"""

from mockserver.resources.inference import Inference, Resource, Role, infer_resources
from mockserver.resources.store import DEFAULT_SESSION, MISSING, Missing, RecordStore, Scope

__all__ = ["DEFAULT_SESSION", "MISSING", "Inference", "Missing", "RecordStore", "Resource", "Role", "Scope",
           "infer_resources"]
