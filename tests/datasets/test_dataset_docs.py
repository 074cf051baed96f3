"""The README's dataset table and cron row are the ones the specs generate."""

from __future__ import annotations

from pathlib import Path

from moo_markets.datasets import docs

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_dataset_as_declared() -> None:
    text = README.read_text()
    start, end = text.index(docs.BEGIN), text.index(docs.END) + len(docs.END)
    assert text[start:end] == docs.table(), "run python -m moo_markets.datasets.docs"
    assert docs.cron_row() in text.splitlines()
