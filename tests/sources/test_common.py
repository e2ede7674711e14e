"""Shared CSV reading: file line numbers, as people see them in an editor (header = line 1)."""

from __future__ import annotations

from directory_api.sources.common import read_csv


def test_should_number_rows_from_line_two_and_count_multiline_cells(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('name,note\nfirst,a\nsecond,"two\nlines"\nthird,c\n', encoding="utf-8")
    assert [(line, row["name"]) for line, row in read_csv(path)] == [(2, "first"), (3, "second"), (5, "third")]
