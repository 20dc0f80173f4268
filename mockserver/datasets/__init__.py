"""Datasets: collections of records answering list and summary operations, declared in fixture files.

Filtering by request parameters, cursor pagination, aggregation and tenant scoping are declared in
bindings (see `mockserver.fixture_files.Binding`); a Python hook may compute what they cannot.
"""

from mockserver.datasets.dataset import Dataset, DatasetDefinition, Located, compile_dataset
from mockserver.datasets.hooks import HookLoader, HookRequest, HookResponse

__all__ = [
    "Dataset",
    "DatasetDefinition",
    "HookLoader",
    "HookRequest",
    "HookResponse",
    "Located",
    "compile_dataset",
]
