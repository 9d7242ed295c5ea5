"""Ingest: read source exports through a declarative mapping into the canonical store."""

from __future__ import annotations

from casereview.ingest.load import ImportResult, ingest_directory, ingest_file, ingest_mapping
from casereview.ingest.mapping import Mapping, load_mapping, parse_mapping

__all__ = [
    "ImportResult",
    "Mapping",
    "ingest_directory",
    "ingest_file",
    "ingest_mapping",
    "load_mapping",
    "parse_mapping",
]
