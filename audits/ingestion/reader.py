"""Turn uploaded bytes into a DataFrame: CSV (delimiter and encoding detected) or Parquet.

The format is decided by content: Parquet by its magic bytes, text by decoding it; anything that
looks binary (zip, pickle, images, executables, NUL bytes) is refused before parsing.
"""

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Signatures of binary formats that users sometimes rename to .csv; the name helps the error message.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (or an Excel .xlsx workbook)",
    b"\x1f\x8b": "a gzip archive",
    b"BZh": "a bzip2 archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x7fELF": "an executable",
    b"SQLite format 3": "an SQLite database",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document",
    b"\x80\x02": "a Python pickle",
    b"\x80\x03": "a Python pickle",
    b"\x80\x04": "a Python pickle",
    b"\x80\x05": "a Python pickle",
    b"\x93NUMPY": "a NumPy array file",
}
_DELIMITERS = ",;\t|"
# Text codecs that are not file encodings (domain names, Python literals): refused as unknown.
_NOT_FILE_ENCODINGS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}


class IngestionError(Exception):
    """The upload cannot be accepted; `message` says what is wrong and how to fix it."""

    def __init__(self, message: str, *, field: str = "file"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class ParsedTable:
    frame: pd.DataFrame
    source_format: str
    source_sha256: str
    encoding: str = ""
    delimiter: str = ""
    renamed_columns: dict[str, str] = field(default_factory=dict)


def read_table(
    data: bytes,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_bytes: int,
    max_rows: int,
    max_columns: int,
    max_cells: int | None = None,
    max_uncompressed_bytes: int | None = None,
) -> ParsedTable:
    """Parse an upload within the size, row, column and cell limits, or raise IngestionError.

    The cell budget (rows x columns) and, for Parquet, the uncompressed size are checked from the file's metadata
    (Parquet) or its line count (CSV) BEFORE anything is parsed: a small file can hold a huge table (a 570 KB
    Parquet file of 5 million rows x 23 columns of zeros takes gigabytes once read)."""
    if len(data) > max_bytes:
        raise IngestionError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB. "
            "Upload a sample or ask an administrator to raise AUDIT_UPLOAD_MAX_BYTES."
        )
    if not data.strip():
        raise IngestionError("The file is empty.")
    sha = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PAR1":
        frame = _read_parquet(
            data,
            max_rows=max_rows,
            max_columns=max_columns,
            max_cells=max_cells,
            max_uncompressed_bytes=max_uncompressed_bytes,
        )
        return ParsedTable(frame=frame, source_format="parquet", source_sha256=sha)
    if delimiter:
        _check_delimiter(delimiter)
    text, used_encoding = _decode(data, encoding)
    if "\x00" in text:  # NUL anywhere, not only in the sniffed head: the CSV parsers stop on it
        raise IngestionError(
            "The file contains binary data (a NUL byte), so it is not a CSV text file. "
            "Export the data as CSV (UTF-8) or Parquet."
        )
    used_delimiter = delimiter or _sniff_delimiter(text)
    frame, renamed = _read_csv(text, used_delimiter, max_rows=max_rows, max_columns=max_columns, max_cells=max_cells)
    return ParsedTable(
        frame=frame,
        source_format="csv",
        source_sha256=sha,
        encoding=used_encoding,
        delimiter=used_delimiter,
        renamed_columns=renamed,
    )


def _read_parquet(
    data: bytes, *, max_rows: int, max_columns: int, max_cells: int | None, max_uncompressed_bytes: int | None
) -> pd.DataFrame:
    parquet = _parquet_checked(
        io.BytesIO(data),
        max_rows=max_rows,
        max_columns=max_columns,
        max_cells=max_cells,
        max_uncompressed_bytes=max_uncompressed_bytes,
    )
    try:
        return parquet.read().to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise IngestionError(f"The Parquet file could not be read: {exc}") from exc


def _parquet_checked(
    source, *, max_rows: int, max_columns: int, max_cells: int | None, max_uncompressed_bytes: int | None
) -> pq.ParquetFile:
    """The Parquet file opened by its footer (no column data read), its shape and size checked from metadata."""
    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise IngestionError(f"The file starts like Parquet but cannot be read as Parquet: {exc}") from exc
    meta = parquet.metadata
    _check_shape(meta.num_rows, meta.num_columns, max_rows=max_rows, max_columns=max_columns, max_cells=max_cells)
    uncompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if max_uncompressed_bytes is not None and uncompressed > max_uncompressed_bytes:
        raise IngestionError(
            f"The Parquet file holds {uncompressed / 1e6:,.0f} MB of data once uncompressed; the limit is "
            f"{max_uncompressed_bytes / 1e6:,.0f} MB (AUDIT_UPLOAD_MAX_UNCOMPRESSED_BYTES). Upload a sample."
        )
    names = parquet.schema_arrow.names
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise IngestionError(f"Parquet columns must have unique names; repeated: {', '.join(duplicates)}.")
    return parquet


HEAD_BYTES = 65_536  # what check_table_head reads of a CSV file


def check_table_head(
    source,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_rows: int,
    max_columns: int,
    max_cells: int | None = None,
    max_uncompressed_bytes: int | None = None,
) -> str:
    """The checks of read_table that need only a file's head (CSV: binary signatures, encoding, delimiter, header)
    or its footer metadata (Parquet: rows, columns, cells, uncompressed size, column names); the format found.

    For a file too large to parse in a web request: what is refused here is refused at once; the rest (every row)
    is checked by read_table in a worker. `source` is a seekable binary file; it is left at its start.
    Raises IngestionError naming the fault."""
    source.seek(0)
    head = source.read(HEAD_BYTES)
    source.seek(0)
    if not head.strip():
        raise IngestionError("The file is empty.")
    if head[:4] == b"PAR1":
        _parquet_checked(
            source,
            max_rows=max_rows,
            max_columns=max_columns,
            max_cells=max_cells,
            max_uncompressed_bytes=max_uncompressed_bytes,
        )
        source.seek(0)
        return "parquet"
    if delimiter:
        _check_delimiter(delimiter)
    whole_lines = head[: head.rfind(b"\n") + 1] or head  # never cut a character in two
    text, _ = _decode(whole_lines, encoding)
    if "\x00" in text:
        raise IngestionError(
            "The file contains binary data (a NUL byte), so it is not a CSV text file. "
            "Export the data as CSV (UTF-8) or Parquet."
        )
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter or _sniff_delimiter(text)), [])
    except csv.Error as exc:
        raise IngestionError(f"The header row could not be parsed ({exc}). Check the delimiter and quoting.") from exc
    _check_shape(0, len(header), max_rows=max_rows, max_columns=max_columns)
    return "csv"


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    head = data[:8192]
    for signature, what in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise IngestionError(
                f"The file is {what}, not a CSV or Parquet table. Export the data as CSV (UTF-8) or Parquet."
            )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not encoding:
        encoding = "utf-16"
    elif b"\x00" in head and not (encoding or "").lower().startswith("utf-16"):
        raise IngestionError(
            "The file contains binary data (NUL bytes), so it is not a CSV text file. "
            "If it is UTF-16 text, re-save it as UTF-8; otherwise export the data as CSV or Parquet."
        )
    if encoding:
        try:
            codec = codecs.lookup(encoding)
        except LookupError:
            codec = None
        if codec is None or not codec._is_text_encoding or codec.name in _NOT_FILE_ENCODINGS:
            raise IngestionError(f"Unknown encoding '{encoding}'. Use e.g. utf-8 or latin-1.", field="encoding")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise IngestionError(
                f"The file is not valid {encoding}: byte {exc.start} (line {line}) cannot be decoded. "
                "Re-save the file as UTF-8, or leave the encoding empty to detect it (Latin-1 is detected).",
                field="encoding",
            ) from exc
        except (UnicodeError, ValueError, TypeError) as exc:  # codecs that fail in other ways (idna, punycode...)
            raise IngestionError(
                f"The file cannot be read as {encoding}. Re-save it as UTF-8.", field="encoding"
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Windows-1252 is the usual culprit (a superset of Latin-1's printable range).
    for candidate in ("cp1252", "latin-1"):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        _refuse_control_characters(text)
        return text, candidate
    raise IngestionError("The file's encoding could not be detected. Re-save it as UTF-8.", field="encoding")


def _refuse_control_characters(text: str) -> None:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(5, len(sample) // 200):
        raise IngestionError("The file looks binary (many control characters). Export the data as CSV or Parquet.")


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _check_delimiter(delimiter: str) -> None:
    """One ASCII punctuation or whitespace character (the parsers take one byte); not a quote or a line end."""
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter.isalnum() or delimiter in '"\r\n':
        raise IngestionError(
            f"The delimiter must be one ASCII character such as , ; | or a tab, not '{delimiter}'. "
            "Leave it empty to detect it.",
            field="delimiter",
        )


def _read_csv(
    text: str, delimiter: str, *, max_rows: int, max_columns: int, max_cells: int | None = None
) -> tuple[pd.DataFrame, dict]:
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a header field over the csv module's field limit; the message holds no data
        raise IngestionError(f"The header row could not be parsed ({exc}). Check the delimiter and quoting.") from exc
    header = [h.strip() for h in header]
    # Lines x header columns bounds the table before pandas builds it (quoted line breaks only overestimate).
    _check_shape(0, len(header), max_rows=max_rows, max_columns=max_columns)
    if max_cells is not None:
        _check_shape(
            max(text.count("\n") - 1, 0), len(header), max_rows=max_rows, max_columns=max_columns, max_cells=max_cells
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, nrows=max_rows + 1, engine="c"
        )
    except pd.errors.EmptyDataError as exc:
        raise IngestionError("The file has no header row.") from exc
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise IngestionError(f"The CSV could not be parsed: {exc}. Check the delimiter and quoting.") from exc
    _check_shape(len(frame), len(frame.columns), max_rows=max_rows, max_columns=max_columns)
    if frame.empty:
        raise IngestionError("The file has a header but no data rows.")
    frame.columns = [str(c).strip() for c in frame.columns]
    renamed = {new: old for new, old in zip(frame.columns, header, strict=False) if new != old}
    return _infer_types(frame), renamed


_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "nat", "-"}


def _infer_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing tokens become NA; columns whose every value is a number become numeric."""
    out = {}
    for name in frame.columns:
        text = frame[name].str.strip()
        text = text.mask(text.str.lower().isin(_MISSING_TOKENS))
        numbers = pd.to_numeric(text, errors="coerce")
        if text.notna().any() and numbers.notna().sum() == text.notna().sum():
            is_integer = (numbers.dropna() == numbers.dropna().round()).all()
            out[name] = numbers.astype("Int64") if is_integer else numbers.astype("float64")
        else:
            out[name] = text.astype("string")
    return pd.DataFrame(out, index=frame.index)


def _check_shape(rows: int, columns: int, *, max_rows: int, max_columns: int, max_cells: int | None = None) -> None:
    if rows > max_rows:
        raise IngestionError(f"The file has more than {max_rows:,} rows, the limit. Upload a sample or split it.")
    if columns > max_columns:
        raise IngestionError(f"The file has {columns:,} columns; the limit is {max_columns:,}.")
    if max_cells is not None and rows * columns > max_cells:
        raise IngestionError(
            f"The file holds {rows:,} rows x {columns:,} columns = {rows * columns:,} values; the limit is "
            f"{max_cells:,} (AUDIT_UPLOAD_MAX_CELLS). Upload a sample, or only the columns the audit needs."
        )
