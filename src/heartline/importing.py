"""What every importer reports (CSV/JSONL files, shop exports, help-desk history): the counts,
and each rejected row with its line, field and reason while the good rows are stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEPT_ERRORS = 1000  # more are counted (and handed to on_error), not kept in memory


@dataclass
class RowError:
    """Why one row was rejected."""

    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import did."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    # stored, but the queue was unreachable: the recovery job scores them later
    left_to_recovery: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Rows that are in the database after the run."""
        return self.created + self.updated + self.unchanged

    def reject(self, err: RowError, on_error: Callable[[RowError], None] | None = None) -> None:
        """Count a rejected row, keep the first MAX_KEPT_ERRORS, and pass it on."""
        self.failed += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(err)
        if on_error:
            on_error(err)
