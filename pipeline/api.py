"""The library API: run the pipeline on strings, and read a run's tables.

Three entry points, for notebooks and programs::

    import pipeline

    result = pipeline.extract("青岛市政府与海信集团签署合作协议。", date="2024-04-28")
    result.entities            # [Entity(text='青岛市政府', label='GOV', ...), ...]
    result.facts_df()          # the same rows as the ``facts`` table, as a DataFrame

    ex = pipeline.Extractor()  # loads the models once ...
    results = [ex.extract(t) for t in texts]  # ... for many strings

    from pipeline.api import load_tables
    tables = load_tables("out")  # {"documents": DataFrame, "entities": DataFrame, ...}

Offsets of every record returned by :func:`extract` index the string that was
passed in (``text[e.start:e.end] == e.text`` for entities and facts), exactly as
the written tables index their source files.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .records import TABLE_RECORDS, Document, Entity, ErrorRecord, Fact, Official, Sentence, Token
from .schema import CORPUS_TABLES, SCHEMAS, TABLES

if TYPE_CHECKING:  # pandas is a dependency, but keep ``import pipeline.api`` light
    import pandas as pd

    from .config import ConfigBase
    from .runner import Pipeline

__all__ = ["DEFAULT_CONFIG", "ExtractionError", "Extractor", "Result", "default_config", "extract",
           "load_manifest", "load_tables", "records_frame"]

#: The settings of ``configs/default.yaml`` minus its input/output (and minus the
#: sample's publication date, which :func:`extract` takes as ``date=``).
DEFAULT_CONFIG: dict[str, Any] = {
    "stages": ["layout", "segment", "entities", "facts"],
    "input": {"paths": ["<text>"]},  # required by the config model; never read by the API
    "segment": {"segmenter": "jieba"},
    "entities": {"backend": "spacy"},
}


class ExtractionError(Exception):
    """Raised by ``extract(..., strict=True)`` when the text failed in a stage."""


# --------------------------------------------------------------------------- configs

def default_config(overrides: list[str] | None = None) -> "ConfigBase":
    """The default pipeline configuration, built in code (no files needed).

    ``overrides`` are ``KEY.PATH=VALUE`` strings as for ``extract run --set``,
    e.g. ``["entities.backend=jieba"]``.
    """
    from . import registry
    from .config import load_config

    data = copy.deepcopy(DEFAULT_CONFIG)
    # plugins may unregister/replace stages: keep only the registered ones (and their sections)
    known = set(registry.REGISTRIES["stages"])
    data["stages"] = [s for s in data["stages"] if s in known]
    for section in ("layout", "segment", "entities", "facts"):
        if section in data and section not in known:
            del data[section]
    return load_config(data=data, overrides=overrides, base_dir=Path.cwd())


def _as_config(config: Any, overrides: list[str] | None = None) -> "ConfigBase":
    """A loaded config from ``None`` (default), a config object, a YAML path or a dict."""
    from .config import ConfigBase, load_config

    if config is None:
        return default_config(overrides)
    if isinstance(config, ConfigBase):
        if overrides:
            data = config.model_dump(mode="json")
            return load_config(data=data, overrides=overrides, base_dir=config.base_dir)
        return config
    if isinstance(config, (str, Path)):
        return load_config(config, overrides)
    if isinstance(config, Mapping):
        data = copy.deepcopy(dict(config))
        data.setdefault("input", {"paths": ["<text>"]})
        return load_config(data=data, overrides=overrides)
    raise TypeError(f"config: expected None, a config, a YAML path or a dict, got {type(config).__name__}")


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"date: expected YYYY-MM-DD, got {value!r}") from None
    raise TypeError(f"date: expected a date or a YYYY-MM-DD string, got {type(value).__name__}")


# --------------------------------------------------------------------------- results

def records_frame(table: str, rows: Iterable[Any]) -> "pd.DataFrame":
    """Rows (dicts or record dataclasses) of ``table`` as a DataFrame typed like the Parquet table.

    The columns and dtypes are those :func:`load_tables` returns for the same table,
    so results of :func:`extract` and of a run can be concatenated and compared.
    """
    import pyarrow as pa

    from .records import to_row

    dict_rows = [r if isinstance(r, Mapping) else to_row(r) for r in rows]
    schema = SCHEMAS[table]
    return pa.Table.from_pylist(dict_rows, schema=schema).to_pandas()


@dataclass
class Result:
    """Everything the pipeline found in one string.

    Each list holds the record dataclasses of :mod:`pipeline.records`; their
    offsets index :attr:`text`.  A long string with newspaper layout (bylines,
    ``#`` headings) may yield several documents; a plain string yields one.
    """

    text: str
    """The string that was analysed."""
    documents: list[Document] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    officials: list[Official] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)

    @classmethod
    def from_rows(cls, text: str, rows: Mapping[str, list[dict]]) -> "Result":
        """Build a result from the table rows of :meth:`pipeline.runner.Pipeline.process_records`."""
        out = cls(text=text)
        for table in ("documents", "sentences", "tokens", "entities", "officials", "facts", "errors"):
            klass = TABLE_RECORDS[table]
            recs = [klass(**row) for row in rows.get(table, [])]
            if table == "documents":
                for d in recs:
                    d.source_text = text
            setattr(out, table, recs)
        return out

    # -- status
    @property
    def ok(self) -> bool:
        """True when every document was processed by every stage."""
        return all(d.status == "ok" for d in self.documents) and not self.errors

    @property
    def failed(self) -> list[Document]:
        """Documents that failed in a stage (their ``error`` says where and why)."""
        return [d for d in self.documents if d.status != "ok"]

    # -- DataFrames, typed like the Parquet tables
    def documents_df(self) -> "pd.DataFrame":
        """The ``documents`` rows as a DataFrame."""
        return records_frame("documents", self.documents)

    def sentences_df(self) -> "pd.DataFrame":
        """The ``sentences`` rows as a DataFrame."""
        return records_frame("sentences", self.sentences)

    def tokens_df(self) -> "pd.DataFrame":
        """The ``tokens`` rows (empty unless ``segment.tokens`` is on) as a DataFrame."""
        return records_frame("tokens", self.tokens)

    def entities_df(self) -> "pd.DataFrame":
        """The ``entities`` rows as a DataFrame."""
        return records_frame("entities", self.entities)

    def officials_df(self) -> "pd.DataFrame":
        """The ``officials`` rows as a DataFrame."""
        return records_frame("officials", self.officials)

    def facts_df(self) -> "pd.DataFrame":
        """The ``facts`` rows as a DataFrame."""
        return records_frame("facts", self.facts)

    def errors_df(self) -> "pd.DataFrame":
        """The ``errors`` rows as a DataFrame."""
        return records_frame("errors", self.errors)

    def tables(self) -> dict[str, "pd.DataFrame"]:
        """Every table as a DataFrame, keyed like :func:`load_tables`."""
        return {t: getattr(self, f"{t}_df")() for t in TABLES}

    # -- display
    def __repr__(self) -> str:
        counts = ", ".join(f"{t}={len(getattr(self, t))}" for t in
                           ("documents", "sentences", "entities", "officials", "facts", "errors"))
        preview = self.text[:30].replace("\n", " ") + ("…" if len(self.text) > 30 else "")
        return f"Result({preview!r}: {counts})"

    def _repr_html_(self) -> str:
        """Jupyter display: the text with entities and facts highlighted, as on the review page."""
        from .highlight import render_snippet

        return render_snippet(self.text, [_plain(e) for e in self.entities], [_plain(f) for f in self.facts])


def _plain(record: Any) -> dict:
    from .records import to_row

    return to_row(record)


# --------------------------------------------------------------------------- extraction

class Extractor:
    """A pipeline built once (models and dictionaries loaded) to analyse many strings.

    ``config``: ``None`` for the default stages and settings (those of
    ``configs/default.yaml``), a loaded config, a YAML path, or a dict of config
    sections (``input`` may be left out).  ``overrides``: ``KEY.PATH=VALUE`` strings.

    Not thread-safe: use one extractor per thread.
    """

    def __init__(self, config: Any = None, *, overrides: list[str] | None = None):
        from .runner import Pipeline

        # a private copy: extract(date=...) adjusts stage settings for one call
        cfg = _as_config(config, overrides)
        self.config = cfg.model_copy(deep=True)
        self.config._path, self.config._base_dir = cfg.path, cfg.base_dir
        self.pipeline: Pipeline = Pipeline(self.config)

    @property
    def stages(self) -> list[str]:
        """The stage names, in order."""
        return list(self.config.stages)

    def extract(self, text: str, *, date: Any = None, source: str = "<text>", strict: bool = False) -> Result:
        """Analyse one string.

        ``date``: the publication date (``datetime.date`` or ``"YYYY-MM-DD"``) that
        datelines such as ``本报4月28日讯`` and relative times resolve against; it
        becomes ``documents.date`` when the text has no dateline.
        ``source``: the name recorded in the ``source`` column (and hashed into ``doc_id``).
        ``strict``: raise :class:`ExtractionError` if a stage failed on the text
        instead of returning the failure in ``result.documents``/``result.errors``.
        """
        return self.extract_many([text], date=date, sources=[source], strict=strict)[0]

    def extract_many(self, texts: Sequence[str], *, date: Any = None, sources: Sequence[str] | None = None,
                     batch_size: int | None = None, strict: bool = False) -> list[Result]:
        """Analyse several strings in batches (faster than one by one); one :class:`Result` each.

        ``sources``: one distinct name per text (default ``<text 0>``, ``<text 1>`` ...).
        """
        from .readers import RawRecord

        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"text {i}: expected str, got {type(t).__name__}")
        if sources is None:
            sources = [f"<text {i}>" for i in range(len(texts))] if len(texts) != 1 else ["<text>"]
        sources = [str(s) for s in sources]
        if len(sources) != len(texts):
            raise ValueError(f"sources: {len(sources)} names for {len(texts)} texts")
        if len(set(sources)) != len(sources):
            raise ValueError("sources: names must be distinct")
        size = batch_size or self.config.run.batch_size
        results: list[Result] = []
        with self._date(_as_date(date)):
            for k in range(0, len(texts), size):
                chunk = list(zip(sources[k:k + size], texts[k:k + size]))
                todo = [(s, t) for s, t in chunk if t.strip()]
                rows = self.pipeline.process_records([RawRecord(s, None, t) for s, t in todo]) if todo else {}
                by_source: dict[str, dict[str, list[dict]]] = {s: {} for s, _ in chunk}
                for table, table_rows in rows.items():
                    for row in table_rows:
                        by_source.setdefault(row["source"], {}).setdefault(table, []).append(row)
                for s, t in chunk:
                    res = Result.from_rows(t, by_source.get(s, {}))
                    if strict and not res.ok:
                        problems = [d.error for d in res.failed] + [e.message for e in res.errors]
                        raise ExtractionError(f"{s}: " + "; ".join(p for p in problems if p))
                    results.append(res)
        return results

    def _date(self, date: dt.date | None) -> "_StageDate":
        """Set ``publication_date`` on the stages that have it, for one call."""
        return _StageDate(self.pipeline, date)

    def __repr__(self) -> str:
        return f"Extractor(stages={self.stages})"


class _StageDate:
    def __init__(self, pipe: "Pipeline", date: dt.date | None):
        self.pipe, self.date, self.saved = pipe, date, []

    def __enter__(self):
        if self.date is None:
            return self
        for stage in self.pipe.stages:
            settings = getattr(stage, "settings", None)
            if settings is not None and hasattr(settings, "publication_date"):
                self.saved.append((settings, settings.publication_date))
                settings.publication_date = self.date
        return self

    def __exit__(self, *exc):
        for settings, value in self.saved:
            settings.publication_date = value
        return False


_DEFAULT_EXTRACTORS: dict[str, Extractor] = {}


def extract(text: str, *, config: Any = None, date: Any = None, source: str = "<text>",
            strict: bool = False) -> Result:
    """Run the configured stages on one string and return what they found.

    ``config``: ``None`` for the default pipeline (the stages and settings of
    ``configs/default.yaml``, built in code), a loaded config, a YAML path or a
    dict of config sections.  The pipeline built for a config is cached, so
    repeated calls load the models once; use :class:`Extractor` to control that.
    ``date``, ``source``, ``strict``: see :meth:`Extractor.extract`.
    """
    cfg = _as_config(config)
    key = cfg.fingerprint() + "\x00" + str(cfg.base_dir)
    ex = _DEFAULT_EXTRACTORS.get(key)
    if ex is None:
        ex = Extractor(cfg)
        _DEFAULT_EXTRACTORS.clear()  # keep at most one set of models in memory
        _DEFAULT_EXTRACTORS[key] = ex
    return ex.extract(text, date=date, source=source, strict=strict)


# --------------------------------------------------------------------------- run output

def load_manifest(out_dir: str | Path) -> dict:
    """The ``manifest.json`` of a run's output folder (``{}`` if there is none)."""
    path = Path(out_dir) / "manifest.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def load_tables(out_dir: str | Path, tables: Iterable[str] | None = None) -> dict[str, "pd.DataFrame"]:
    """Read a run's output folder into DataFrames, one per table.

    ``tables``: names to read (default: all of ``documents, sentences, tokens,
    entities, officials, facts, errors, entity_index``).  A table the run did not write (e.g.
    ``tokens`` without ``segment.tokens``) comes back empty with its columns, so
    code can rely on every column being there.  Raises ``FileNotFoundError`` if
    ``out_dir`` is not an output folder of ``extract run``.
    """
    import pyarrow.parquet as pq

    out = Path(out_dir)
    if not (out / "documents").is_dir():
        raise FileNotFoundError(f"{out}: not an output folder of `extract run` (no documents table)")
    names = list(tables) if tables is not None else TABLES + CORPUS_TABLES
    result: dict[str, pd.DataFrame] = {}
    for name in names:
        if name not in SCHEMAS:
            raise KeyError(f"unknown table {name!r}; expected one of: {', '.join(SCHEMAS)}")
        folder = out / name
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if files:
            import pyarrow as pa

            table = pa.concat_tables([pq.read_table(f) for f in files])
            result[name] = table.to_pandas()
        else:
            result[name] = records_frame(name, [])
    return result
