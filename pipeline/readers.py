"""Input: discover files and turn them into raw records ``(source, record, text)``.

Formats: txt and md (one document per file), jsonl, csv and parquet (one
document per row/line, configurable text, id and date columns).  Encodings: UTF-8 with
or without BOM and GB18030 (a superset of GBK and GB2312) are detected unless the
config names one.  Anything that cannot be read raises :class:`InputError` naming
the file and the problem; a bad record of a jsonl, csv or parquet file (not a JSON
object, a text that is no string, an odd id, a row of the wrong width, undecodable
bytes) fails only that record.
"""
from __future__ import annotations

import csv
import datetime as dt
import glob
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import registry


class InputError(Exception):
    """A file (or record) that cannot be read; the message names it and the problem."""

    def __init__(self, source: str, message: str, record: str | None = None):
        message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate is written \udxxx
        self.source, self.record, self.message = source, record, message
        where = f"{source}" + (f" [{record}]" if record else "")
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # picklable, so failed records can travel to worker processes
        return (InputError, (self.source, self.message, self.record))


@dataclass
class RawRecord:
    source: str  # the input path as matched
    record: str | None  # record id within the file (jsonl/csv/parquet), None for text files
    text: str | None  # None when the record failed
    error: InputError | None = None
    sha256: str | None = None  # of the file's bytes (text files)
    date: dt.date | None = None  # the record's date column (input.date_column)


_DATE_SEP = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:$|[\sT])")
_DATE_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:$|[\sT])")


def parse_date(value) -> dt.date | None:
    """A record's date from a date column value: a date, a datetime or timestamp, or a string
    such as ``2020-01-26``, ``2020/1/26``, ``2020.01.26``, ``20200126``, ``2020年1月26日``,
    ``2020-01-26 08:30:00`` (the time is dropped); an int ``20200126``.  None when the value
    is empty or not a date."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    m = _DATE_SEP.match(value) or _DATE_COMPACT.match(value)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def discover(patterns: list[str], base_dir: Path, extensions: list[str]) -> list[tuple[Path, str]]:
    """Expand files, directories and globs into ``(path, shown_as)`` pairs, sorted, unique.

    Raises InputError for a missing path or a glob that matches nothing.
    """
    found: dict[Path, str] = {}
    exts = {e.lower().lstrip(".") for e in extensions}
    for pattern in patterns:
        p = Path(os.path.expanduser(pattern))
        full = p if p.is_absolute() else base_dir / p
        if glob.has_magic(str(pattern)):
            matches = sorted(Path(m) for m in glob.glob(str(full), recursive=True))
            matches = [m for m in matches if m.is_file()]
            if not matches:
                raise InputError(pattern, "glob pattern matches no files")
            for m in matches:
                found.setdefault(m, _shown(m, base_dir, p))
        elif full.is_dir():
            files = sorted(f for f in full.rglob("*") if f.is_file() and f.suffix.lower().lstrip(".") in exts)
            if not files:
                raise InputError(pattern, f"directory holds no input files ({', '.join(sorted(exts))})")
            for f in files:
                found.setdefault(f, _shown(f, base_dir, p))
        elif full.is_file():
            found.setdefault(full, _shown(full, base_dir, p))
        else:
            raise InputError(pattern, "no such file or directory" + (f" (looked in {base_dir})" if not p.is_absolute() else ""))
    return sorted(found.items(), key=lambda kv: kv[1])


def _shown(path: Path, base_dir: Path, pattern: Path) -> str:
    """The path as the config names it: relative to the config's folder unless given absolute."""
    if pattern.is_absolute():
        return str(path)
    return os.path.relpath(path, base_dir)


def decode(raw: bytes, source: str, encoding: str | None = None, records: bool = False) -> str:
    """Decode bytes: the named encoding, else UTF-8 (BOM or not), else GB18030.

    ``records=True`` (a file of many records: jsonl, csv): bytes that do not decode do not
    fail the file; they become lone surrogates (``surrogateescape``) and fail only the
    records that hold them (:func:`undecodable`)."""
    if b"\x00" in raw[:8192]:
        pos = raw.index(b"\x00")
        raise InputError(source, f"binary content (NUL byte at byte {pos}), not a text file")
    if encoding:
        try:
            return raw.decode(encoding)
        except LookupError:
            raise InputError(source, f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            if records:
                return raw.decode(encoding, errors="surrogateescape")
            raise InputError(source, _position(raw, exc, encoding)) from None
    try:
        return _check_text(raw.decode("utf-8-sig"), source)
    except UnicodeDecodeError as utf8_error:
        if records:
            return _check_text(_decode_records(raw), source)
        prefix = raw[:utf8_error.start]
        if any(b >= 0x80 for b in prefix[:utf8_error.start]):
            # valid multi-byte UTF-8 before the bad byte: a file of mixed encodings,
            # which a GB18030 reading would turn into plausible-looking garbage
            raise InputError(source, _position(raw, utf8_error, "UTF-8")
                             + "; the text before it is UTF-8, so the file mixes encodings") from None
        try:
            return _check_text(raw.decode("gb18030"), source)
        except UnicodeDecodeError:
            raise InputError(source, _position(raw, utf8_error, "UTF-8") + "; not GB18030 either") from None


_ESCAPED = re.compile("[\udc00-\udcff]")  # surrogateescape: byte b -> \udc00 + b


def _decode_records(raw: bytes) -> str:
    """A many-record file that is not all UTF-8: UTF-8 with the bad bytes escaped when it holds
    more valid multi-byte characters than bad bytes (a UTF-8 file with some bad records), else
    GB18030 when that decodes it, else the escaped UTF-8."""
    text = raw.decode("utf-8-sig", errors="surrogateescape")
    escaped = len(_ESCAPED.findall(text))
    if sum(1 for c in text if c >= "\x80") - escaped > escaped:
        return text
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return text


def undecodable(text: str, source: str, record: str) -> InputError | None:
    """The error for a record of a :func:`decode` ``records=True`` text that holds an undecodable byte."""
    m = _ESCAPED.search(text)
    if m is None:
        return None
    before = text[max(0, m.start() - 12):m.start()]
    return InputError(source, f"cannot decode byte 0x{ord(m.group()) - 0xdc00:02x} "
                              f"{f'after {before!r}' if before else 'at the start'}; the rest of the file decodes", record)


def _check_text(text: str, source: str) -> str:
    """Reject decoded text that is mostly control characters (binary data)."""
    sample = text[:20000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    if sample and controls / len(sample) > 0.05:
        raise InputError(source, f"binary content ({controls} control characters in the first {len(sample)}), "
                                 "not a text file")
    return text


def _position(raw: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    line = raw.count(b"\n", 0, exc.start) + 1
    col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    return (f"cannot decode as {encoding}: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
            f"(line {line}, byte {col} of the line): {exc.reason}")


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError:
        raise InputError(source, "permission denied") from None
    except IsADirectoryError:
        raise InputError(source, "is a directory") from None
    except OSError as exc:
        raise InputError(source, f"cannot read: {exc.strerror or exc}") from None


def read_text_file(path: Path, source: str, settings) -> Iterator[RawRecord]:
    import hashlib

    raw = _read_bytes(path, source)
    text = decode(raw, source, settings.encoding)
    if not text.strip():
        raise InputError(source, "empty file" if not text else "file holds only white space")
    yield RawRecord(source, None, text, sha256=hashlib.sha256(raw).hexdigest())


_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_TYPES = {"dict": "an object", "list": "an array", "str": "a string", "int": "a number", "float": "a number",
               "bool": "a boolean", "NoneType": "null"}


def _kind(value) -> str:
    """What a decoded JSON value is, in JSON's words."""
    return _JSON_TYPES.get(type(value).__name__, type(value).__name__)


def _record_text(value, source: str, record: str, column: str) -> tuple[str | None, InputError | None]:
    if value is None:
        return None, InputError(source, f"text column {column!r} is empty", record)
    if not isinstance(value, str):
        return None, InputError(source, f"text column {column!r} is {_kind(value)}, expected a string", record)
    if not value.strip():
        return None, InputError(source, f"text column {column!r} " + ("is empty" if not value else "holds only white space"),
                                record)
    m = _SURROGATE.search(value)
    if m:
        return None, InputError(source, f"text column {column!r} holds a lone surrogate \\u{ord(m.group()):04x} "
                                        f"(character {m.start() + 1}), which is no text", record)
    return value, None


def _record_id(value, source: str, line: str) -> tuple[str, InputError | None]:
    """A record's id from the id column: a string or a number; else the record fails."""
    if value is None or value == "":
        return line, None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return line, InputError(source, f"id is {_kind(value)} {json.dumps(value, default=str)[:40]}, "
                                        f"expected a string or a number", line)
    if _SURROGATE.search(str(value)):
        return line, InputError(source, f"id {json.dumps(value)[:40]} holds a lone surrogate, which is no text", line)
    return str(value), None


def read_jsonl(path: Path, source: str, settings) -> Iterator[RawRecord]:
    text = decode(_read_bytes(path, source), source, settings.encoding, records=True)
    col, idcol = settings.text_column, settings.id_column
    any_line = False
    for n, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        any_line = True
        rec = f"line {n}"
        err = undecodable(line, source, rec)
        if err:
            yield RawRecord(source, rec, None, err)
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # ValueError: also an integer of 4,300+ digits
            why = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else (
                "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
            yield RawRecord(source, rec, None, InputError(source, f"malformed JSON: {why}", rec))
            continue
        if not isinstance(obj, dict):
            yield RawRecord(source, rec, None, InputError(source, f"expected a JSON object, got {_kind(obj)}", rec))
            continue
        if idcol:
            rec, err = _record_id(obj.get(idcol), source, rec)
            if err:
                yield RawRecord(source, rec, None, err)
                continue
        if col not in obj:
            yield RawRecord(source, rec, None, InputError(source, f"no text key {col!r} (keys: {', '.join(map(str, obj))})", rec))
            continue
        value, err = _record_text(obj[col], source, rec, col)
        date = parse_date(obj.get(settings.date_column)) if getattr(settings, "date_column", None) else None
        yield RawRecord(source, rec, value, err, date=date)
    if not any_line:
        raise InputError(source, "empty file")


def read_csv(path: Path, source: str, settings) -> Iterator[RawRecord]:
    # the csv module stops at a NUL byte: it fails its row like an undecodable byte
    text = decode(_read_bytes(path, source), source, settings.encoding, records=True).replace("\x00", "\udc00")
    csv.field_size_limit(2**31 - 1)  # an article of more than 128K characters is one field
    reader = csv.reader(io.StringIO(text, newline=""))
    fields = next(reader, [])
    if not fields:
        raise InputError(source, "empty file")
    column = {name: k for k, name in reversed(list(enumerate(fields)))}
    if settings.text_column not in column:
        raise InputError(source, f"no column {settings.text_column!r} (columns: {', '.join(fields)})")
    if settings.id_column and settings.id_column not in column:
        raise InputError(source, f"no id column {settings.id_column!r} (columns: {', '.join(fields)})")
    datecol = getattr(settings, "date_column", None)
    if datecol and datecol not in column:
        raise InputError(source, f"no date column {datecol!r} (columns: {', '.join(fields)})")
    n = 0
    for row in reader:
        if not row:
            continue
        n += 1
        rec = f"row {n}"
        err = next((e for e in (undecodable(v, source, rec) for v in row) if e), None)
        if err is None and len(row) != len(fields):
            err = InputError(source, f"{len(row)} fields where the header has {len(fields)}", rec)
        if err is None and settings.id_column:
            rec, err = _record_id(row[column[settings.id_column]], source, rec)
        if err is not None:
            yield RawRecord(source, rec, None, err)
            continue
        value, err = _record_text(row[column[settings.text_column]], source, rec, settings.text_column)
        yield RawRecord(source, rec, value, err, date=parse_date(row[column[datecol]]) if datecol else None)


def _is_text(kind) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)


def read_parquet(path: Path, source: str, settings) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except PermissionError:
        raise InputError(source, "permission denied") from None
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(source, f"not a readable Parquet file: {exc}") from None
    schema = pf.schema_arrow
    col, idcol = settings.text_column, settings.id_column
    if col not in schema.names:
        raise InputError(source, f"no column {col!r} (columns: {', '.join(schema.names)})")
    if not _is_text(schema.field(col).type):
        raise InputError(source, f"column {col!r} has type {schema.field(col).type}, expected string")
    if idcol and idcol not in schema.names:
        raise InputError(source, f"no id column {idcol!r} (columns: {', '.join(schema.names)})")
    datecol = getattr(settings, "date_column", None)
    if datecol and datecol not in schema.names:
        raise InputError(source, f"no date column {datecol!r} (columns: {', '.join(schema.names)})")
    n = 0
    for batch in pf.iter_batches(columns=list(dict.fromkeys(c for c in (col, idcol, datecol) if c))):
        texts = batch.column(col).to_pylist()
        ids = batch.column(idcol).to_pylist() if idcol else [None] * len(texts)
        dates = batch.column(datecol).to_pylist() if datecol else [None] * len(texts)
        for value, rid, date in zip(texts, ids, dates):
            n += 1
            rec, err = _record_id(rid, source, f"row {n}")
            if err is None:
                value, err = _record_text(value, source, rec, col)
            yield RawRecord(source, rec, None if err else value, err, date=parse_date(date))


def read_file(path: Path, shown: str, settings) -> Iterator[RawRecord]:
    """Every record of one input file; failures become records with ``error`` set."""
    fmt = settings.format if settings.format != "auto" else path.suffix.lower().lstrip(".")
    try:
        reader = registry.get("readers", fmt)
    except registry.UnknownName:
        yield RawRecord(shown, None, None, InputError(shown, f"unsupported file type {path.suffix!r}; "
                                                            f"set input.format or use one of {', '.join(registry.names('readers'))}"))
        return
    try:
        yield from reader(path, shown, settings)
    except InputError as exc:
        yield RawRecord(shown, exc.record, None, exc)
    except Exception as exc:  # noqa: BLE001 - a library error on a damaged file fails the file, never the run
        yield RawRecord(shown, None, None, InputError(shown, f"cannot read: {type(exc).__name__}: {exc}"))


def read_inputs(settings, base_dir: Path) -> Iterator[RawRecord]:
    """Every record of every input, failures included (as records with ``error`` set).

    A missing path or an empty glob raises InputError before anything is read.
    """
    for path, shown in discover(settings.paths, base_dir, settings.extensions):
        yield from read_file(path, shown, settings)
