"""Ingest: read source exports through a declarative mapping into the canonical store."""

from __future__ import annotations

from casereview.ingest.load import ingest_directory, ingest_file, ingest_mapping
from casereview.ingest.mapping import Mapping, load_mapping, parse_mapping
from casereview.ingest.result import ImportResult, Progress

__all__ = [
    "ImportResult",
    "Mapping",
    "Progress",
    "ingest_directory",
    "ingest_file",
    "ingest_mapping",
    "load_mapping",
    "parse_mapping",
]
