"""The exception tree. Every error casereview raises on purpose derives from `CaseReviewError`.

    CaseReviewError                 exit code 1 unless stated
    ├── ConfigError                 bad settings or config file (exit 2)
    ├── StoreError                  the database cannot be opened, migrated or written
    │   ├── SchemaNotReady          the store has not been initialised (`casereview init`) (exit 2)
    │   └── StoreBusy               another writer held the lock past the wait (web: 503, Retry-After)
    ├── MappingError                a mapping file is invalid (names the key and line) (exit 2)
    ├── ValidationError             bad data in an input file (names file, row and column) (exit 2)
    ├── SourceFileError             a whole input file cannot be read (exit 2)
    ├── LinkageError                the link stage failed
    ├── StageError                  a stage's preconditions are not met (e.g. run link first)
    ├── AccessDenied                the user may not do this
    ├── NotFound                    no such object (exit 2)
    ├── WorkflowError               a review-workflow transition that is not allowed (exit 2)
    └── AuditIntegrityError         the audit chain does not verify (carries the first bad sequence)

Bad input *rows* are not exceptions: they go to quarantine with a reason code.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AuditIntegrityError",
    "CaseReviewError",
    "ConfigError",
    "LinkageError",
    "MappingError",
    "NotFound",
    "SchemaNotReady",
    "SourceFileError",
    "StageError",
    "StoreBusy",
    "StoreError",
    "ValidationError",
    "WorkflowError",
]


class CaseReviewError(Exception):
    """Root of every error casereview raises on purpose."""

    exit_code = 1


class ConfigError(CaseReviewError):
    """Settings or a config file are invalid."""

    exit_code = 2


class StoreError(CaseReviewError):
    """The database cannot be opened, migrated or written."""


class StoreBusy(StoreError):
    """Another writer held the database's write lock longer than this caller may wait."""


class SchemaNotReady(StoreError):
    """The store has no schema yet, or an older one: run `casereview init`."""

    exit_code = 2


class MappingError(CaseReviewError):
    """A mapping file is invalid. The message names the file, key and line."""

    exit_code = 2


class ValidationError(CaseReviewError):
    """Bad data in an input, located by file, row and column."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = ", ".join(
            part
            for part in (
                file and f"file {file}",
                row is not None and f"row {row}",
                column and f"column {column}",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class SourceFileError(CaseReviewError):
    """A whole input file cannot be used (unreadable, missing columns, unsafe)."""

    exit_code = 2


class LinkageError(CaseReviewError):
    """Entity resolution failed."""


class StageError(CaseReviewError):
    """A stage cannot run: its inputs are missing (run the stage before it first)."""

    exit_code = 2


class AccessDenied(CaseReviewError):
    """The user is not allowed to do this."""


class NotFound(CaseReviewError):
    """No such object."""

    exit_code = 2


class WorkflowError(CaseReviewError):
    """A review-workflow transition that is not allowed from the item's current state."""

    exit_code = 2


class AuditIntegrityError(CaseReviewError):
    """The audit chain does not verify; `first_bad_seq` is the first broken sequence number."""

    def __init__(self, message: str, first_bad_seq: int) -> None:
        self.first_bad_seq = first_bad_seq
        super().__init__(message)
