"""Reading an import CSV as it comes from shops: Excel's BOM and semicolons, loose headers.

Rows stream one at a time (flat memory whatever the file size), each with the physical line
it starts on, counted the way an editor shows it: the header is line 1 and a quoted field
that spans lines moves the next row down by as many lines.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class RowError:
    """Why the row starting on ``line`` (the header is line 1) was not imported."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvFileError(Exception):
    """The file as a whole cannot be read on: no header, a missing column, not UTF-8."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class CsvRow:
    """One data row: its first physical line and its trimmed cells by normalised column."""

    line: int
    values: dict[str, str]
    # Why the row's shape is wrong (more cells than the header), or None.
    problem: str | None = None

    def get(self, column: str) -> str:
        """The cell, or "" when the column is absent or the cell empty."""
        return self.values.get(column, "")


def normalize_column(name: str) -> str:
    """``" Unit Price"``, ``"unit-price"`` and ``"UNIT_PRICE"`` all name ``unit_price``."""
    return "_".join(name.replace("-", " ").replace("_", " ").lower().split())


class CsvFile:
    """An open import file: ``with CsvFile(path, required=...) as f: for row in f.rows()``."""

    def __init__(
        self,
        path: Path,
        *,
        required: Sequence[str],
        optional: Sequence[str] = (),
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.path = path
        self.required = tuple(required)
        self.optional = tuple(optional)
        self.delimiter = ","
        self.columns: tuple[str, ...] = ()
        self._progress = progress
        self._reported = 0
        self._binary: io.BufferedReader | None = None
        self._lines: Iterator[str] = iter(())
        self._undecodable = 0

    def __enter__(self) -> CsvFile:
        self._binary = open(self.path, "rb")  # closed by __exit__ or close()
        self._lines = self._decoded_lines(self._binary)
        try:
            header = next(self._lines, "")
            if self._undecodable:
                raise CsvFileError(1, _NOT_UTF8)
            if not header.strip():
                raise CsvFileError(1, "the file is empty: it needs a header row")
            # European Excel separates with ";" because "," is its decimal mark.
            self.delimiter = ";" if header.count(";") > header.count(",") else ","
            names = next(csv.reader([header], delimiter=self.delimiter))
            self.columns = tuple(normalize_column(name) for name in names)
            self._check_header()
        except CsvFileError:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.report_progress()
        self.close()

    def close(self) -> None:
        if self._binary is not None:
            self._binary.close()
            self._binary = None

    def _decoded_lines(self, binary: io.BufferedReader) -> Iterator[str]:
        """The file's lines as text, each decoded on its own.

        Line by line, so that a stray Latin-1 byte costs its own row only and is reported on
        its own line; splitting bytes at "\n" is safe because UTF-8 never uses that byte
        inside a character.
        """
        for number, raw in enumerate(binary, start=1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)  # Excel's byte-order mark
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self._undecodable += 1
                yield raw.decode("utf-8", errors="replace")

    def _check_header(self) -> None:
        duplicates = sorted({c for c in self.columns if c and self.columns.count(c) > 1})
        if duplicates:
            raise CsvFileError(1, f"column(s) named more than once: {', '.join(duplicates)}")
        missing = [c for c in self.required if c not in self.columns]
        if missing:
            found = ", ".join(c for c in self.columns if c) or "none"
            raise CsvFileError(
                1, f"missing required column(s): {', '.join(missing)} (found: {found})"
            )

    def rows(self) -> Iterator[CsvRow]:
        """The data rows, blank ones skipped; raises CsvFileError where reading must stop."""
        wanted = set(self.required) | set(self.optional)
        keep = [(i, c) for i, c in enumerate(self.columns) if c in wanted]
        reader = csv.reader(self._lines, delimiter=self.delimiter)
        consumed = 1  # the header
        while True:
            undecodable = self._undecodable
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise CsvFileError(consumed + 1, f"unreadable CSV: {e}") from None
            # The reader counts from its first line, the header's successor.
            line, consumed = consumed + 1, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            problem = None
            if self._undecodable > undecodable:
                problem = _NOT_UTF8
            elif any(cell.strip() for cell in cells[len(self.columns) :]):
                problem = (
                    f"has {len(cells)} cells but the header has {len(self.columns)} "
                    "(a stray delimiter or quote?)"
                )
            values = {name: cells[i].strip() for i, name in keep if i < len(cells)}
            yield CsvRow(line, values, problem)

    def report_progress(self) -> None:
        """Tell ``progress`` how many more bytes of the file have been read."""
        if self._progress is None or self._binary is None or self._binary.closed:
            return
        position = self._binary.tell()
        if position > self._reported:
            self._progress(position - self._reported)
            self._reported = position


_NOT_UTF8 = "is not UTF-8 text: save the file as 'CSV UTF-8' and import it again"
