"""Small helpers for Dagster metadata shared by the assets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def markdown_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], limit: int = 10
) -> str:
    """A GitHub-flavoured markdown preview of the first ``limit`` rows."""

    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows[:limit]]
    return "\n".join(lines)
