"""Parquet output: one dataset (folder of zstd part files) per table, written
incrementally into a temporary folder that replaces the output folder only when
the run completes, so an interrupted run never leaves a partial table behind."""
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
        _remove_stale(self.out_dir)
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        for t in tables:
            (self.tmp / t).mkdir(parents=True)

    def _check_target(self) -> None:
        out = self.out_dir
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "manifest.json").exists())):
            raise OutputError(f"{out}: exists and is not an output folder of this tool (no manifest.json); "
                              "refusing to replace it")

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
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(self.tmp, out)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
        return out

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _remove_stale(out: Path) -> None:
    """Remove temporary folders left by runs that were killed (their process is gone)."""
    if not out.parent.exists():
        return
    for p in out.parent.glob(f".{out.name}.tmp-*"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
