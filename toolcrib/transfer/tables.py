"""Reading an uploaded table (CSV or XLSX) into rows, with the limits that keep it bounded.

Rows are numbered as the spreadsheet shows them: the header is row 1, the first data row 2.
Every refusal is a TableError whose message names the row where it can.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

# At most this many data rows per file: a preview lists every row, and the save is one
# transaction. Larger lists are split into several files.
MAX_ROWS = 5000
# An XLSX is a ZIP: refused before opening when its parts would unpack to more than this.
MAX_UNPACKED = 100 * 1024 * 1024


class TableError(Exception):
    """The file cannot be read as a table; nothing was saved."""


@dataclass
class Table:
    columns: list[str]  # normalised header names
    rows: list[tuple[int, dict[str, str]]]  # (row number, column -> text)


def column_key(name: str) -> str:
    """ "Inventory number" and "inventory_number" are the same column."""
    return "_".join(str(name or "").strip().lower().replace("-", " ").split())


def read_table(data: bytes, filename: str) -> Table:
    if not data.strip():
        raise TableError("The file is empty: nothing to import.")
    if zipfile.is_zipfile(io.BytesIO(data)):
        rows = _xlsx_rows(data)
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise TableError(f"{filename} is not an XLSX workbook (save it as .xlsx or as CSV UTF-8).")
    else:
        rows = _csv_rows(data, filename)
    return _table(rows)


def _table(rows) -> Table:
    header = None
    found: list[tuple[int, dict[str, str]]] = []
    for number, cells in rows:
        texts = [_text(c) for c in cells]
        if not any(texts):
            continue  # blank rows are not data
        if header is None:
            header = [column_key(t) for t in texts]
            while header and not header[-1]:
                header.pop()
            continue
        if len(found) == MAX_ROWS:
            raise TableError(
                f"The file has more than {MAX_ROWS:,} rows (row {number:,} is the "
                f"{MAX_ROWS + 1:,}th): split it into files of at most {MAX_ROWS:,} rows. "
                "Nothing was saved."
            )
        extra = [t for t in texts[len(header) :] if t]
        if extra:
            raise TableError(
                f"Row {number} has a value ({extra[0]!r}) beyond the last column of the header."
            )
        found.append((number, dict(zip(header, texts))))
    if header is None:
        raise TableError("The file is empty: nothing to import.")
    return Table(columns=header, rows=found)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a badge number typed into a spreadsheet comes as 1234.0
    return str(value).strip()


def _xlsx_rows(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED:
            raise TableError("The workbook unpacks to more than 100 MB: refused.")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise TableError(
            "The file is a ZIP but not an XLSX workbook: upload a .xlsx or a CSV file."
        ) from None
    sheet = book.worksheets[0] if book.worksheets else None
    if sheet is None:
        raise TableError("The workbook has no sheet.")
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        book.close()


def _csv_rows(data: bytes, filename: str):
    if b"\0" in data[:8192]:
        raise TableError(f"{filename} is not a CSV or XLSX file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        row = data[: e.start].count(b"\n") + 1
        raise TableError(
            f"Row {row} is not UTF-8 text (byte 0x{data[e.start]:02x}): save the file as "
            "“CSV UTF-8” and upload it again. Nothing was saved."
        ) from None
    first = text.split("\n", 1)[0]
    # Spreadsheets in many locales save CSV with semicolons: take whichever the header uses.
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as e:
        raise TableError(f"Row {reader.line_num} cannot be read as CSV: {e}.") from None
