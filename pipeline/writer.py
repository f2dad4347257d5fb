"""Parquet output: one dataset (folder of zstd part files) per table, written
incrementally into a temporary folder beside the output folder.  Only when the run
completes are its tables moved into the output folder, replacing the tables of the
previous run (the ones its ``manifest.json`` lists), and the manifest last; anything
else in the folder (``report.html``, a nested run's folder, notes) is left alone.
An interrupted run never leaves a partial table behind."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import SCHEMAS


class OutputError(Exception):
    exit_code = 2


class TableWriter:
    def __init__(self, out_dir: Path, tables: list[str], compression: str = "zstd", flush_rows: int = 5_000,
                 flush_chars: int = 4_000_000):
        self.out_dir = Path(out_dir)
        self.tables = tables
        self.compression = None if compression == "none" else compression
        self.flush_rows = flush_rows
        self.flush_chars = flush_chars  # documents rows carry whole article texts
        self.chars: dict[str, int] = {t: 0 for t in tables}
        self.tmp = self.out_dir.parent / f".{self.out_dir.name}.tmp-{os.getpid()}"
        self.buffers: dict[str, list[dict]] = {t: [] for t in tables}
        self.parts: dict[str, int] = {t: 0 for t in tables}
        self.rows: dict[str, int] = {t: 0 for t in tables}
        self._check_target()
        try:
            _remove_stale(self.out_dir)
            if self.tmp.exists():
                shutil.rmtree(self.tmp)
            for t in tables:
                (self.tmp / t).mkdir(parents=True)
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise OutputError(f"{self.out_dir}: cannot write the output folder here: "
                              f"{exc.strerror or exc} ({exc.filename or self.tmp})") from None

    def _check_target(self) -> set[str]:
        """The entries of the previous run in the output folder (its tables); OutputError if the
        folder is not one this tool wrote, or holds, under a table name, something it did not write."""
        out = self.out_dir
        if not out.exists():
            return set()
        if not out.is_dir():
            raise OutputError(f"{out}: exists and is not a folder; refusing to replace it")
        try:
            entries = {p.name for p in out.iterdir()}
        except OSError as exc:
            raise OutputError(f"{out}: cannot read the output folder: {exc.strerror or exc}") from None
        if entries and "manifest.json" not in entries:
            raise OutputError(f"{out}: exists and is not an output folder of this tool (no manifest.json); "
                              "refusing to write into it")
        previous = _previous_tables(out) & entries
        foreign = sorted(t for t in self.tables if t in entries and t not in previous)
        if foreign:
            raise OutputError(f"{out}: {', '.join(foreign)} is not a table of the previous run (not in its "
                              "manifest.json); refusing to replace it")
        return previous

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        if table not in self.buffers or not rows:
            return
        buf = self.buffers[table]
        buf.extend(rows)
        self.rows[table] += len(rows)
        self.chars[table] += sum(len(r.get("text") or "") for r in rows)
        if len(buf) >= self.flush_rows or self.chars[table] >= self.flush_chars:
            self._flush(table)

    def _flush(self, table: str) -> None:
        buf = self.buffers[table]
        if not buf and self.parts[table]:
            return
        arrow = pa.Table.from_pylist(buf, schema=SCHEMAS[table])
        pq.write_table(arrow, self.tmp / table / f"part-{self.parts[table]:05d}.parquet", compression=self.compression)
        self.parts[table] += 1
        self.buffers[table] = []
        self.chars[table] = 0

    def commit(self, manifest: dict) -> Path:
        """Flush everything, write the manifest and move the folder into place."""
        for t in self.tables:
            if self.buffers[t] or not self.parts[t]:
                self._flush(t)
        (self.tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                                                encoding="utf-8")
        out = self.out_dir
        try:
            with _lock(out):
                if not out.exists():
                    os.replace(self.tmp, out)  # a new folder: one atomic rename
                    return out
                previous = self._check_target()
                old = out.parent / f".{out.name}.old-{os.getpid()}"
                shutil.rmtree(old, ignore_errors=True)
                old.mkdir()
                # the run's tables replace the previous run's, each by renames within the file system;
                # the manifest (the record of what the folder holds) is replaced last, atomically
                for name in self.tables:
                    target = out / name
                    if target.exists() or target.is_symlink():
                        os.replace(target, old / name)
                    os.replace(self.tmp / name, target)
                os.replace(self.tmp / "manifest.json", out / "manifest.json")
                for name in sorted(previous - set(self.tables)):  # tables the previous run wrote and this one did not
                    os.replace(out / name, old / name)
                shutil.rmtree(old, ignore_errors=True)
                shutil.rmtree(self.tmp, ignore_errors=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot move the new tables into place: {exc.strerror or exc} "
                              f"({exc.filename or out})") from None
        return out

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _remove_stale(out: Path) -> None:
    """Remove temporary folders left by runs that were killed (their process is gone)."""
    if not out.parent.exists():
        return
    for p in [*out.parent.glob(f".{out.name}.tmp-*"), *out.parent.glob(f".{out.name}.old-*")]:
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _previous_tables(out: Path) -> set[str]:
    """The tables the previous run wrote into ``out`` (the ``rows`` of its manifest)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        names = set(manifest.get("rows") or {})
    except (OSError, ValueError, AttributeError):
        names = set()
    return {n for n in names | (set(SCHEMAS) if not names else set()) if n and "/" not in n and n not in (".", "..")}


class _lock:  # noqa: N801
    """An exclusive lock on ``.<out>.lock`` beside the output folder while tables are moved into it,
    so two runs finishing at once do not interleave their tables."""

    def __init__(self, out: Path):
        self.path = out.parent / f".{out.name}.lock"

    def __enter__(self):
        self.fh = open(self.path, "a")
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return self
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.fh.close()
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
