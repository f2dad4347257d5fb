"""Plain mappings from config names to implementations.

Entries are ``"module:attribute"`` strings so that heavy libraries (spaCy, LAC,
jieba) are imported only when a config actually names them.  Plugins add their
own entries with :func:`register`; nothing here or in the runner needs editing
to add a stage, a reader, a segmenter or an NER backend.
"""
from __future__ import annotations

import importlib
from typing import Any

REGISTRIES: dict[str, dict[str, Any]] = {
    # pipeline stages, in the order a config lists them
    "stages": {
        "layout": "pipeline.layout:LayoutStage",
        "segment": "pipeline.segment:SegmentStage",
        "entities": "pipeline.entities:EntityStage",
        "facts": "pipeline.facts:FactStage",
    },
    # input formats
    "readers": {
        "txt": "pipeline.readers:read_text_file",
        "md": "pipeline.readers:read_text_file",
        "jsonl": "pipeline.readers:read_jsonl",
        "csv": "pipeline.readers:read_csv",
        "parquet": "pipeline.readers:read_parquet",
    },
    # word segmenters behind spaCy's Chinese tokenizer
    "segmenters": {
        "jieba": "pipeline.segment:JiebaSegmenter",
        "pkuseg": "pipeline.segment:PkusegSegmenter",
        "char": "pipeline.segment:CharSegmenter",
    },
    # statistical NER backends: objects with .tag(texts) -> [[(start, end, label)]]
    "ner_backends": {
        "spacy": "pipeline.backends.spacy_ner:SpacyNerBackend",
        "lac": "pipeline.backends.lac:LacBackend",
        "jieba": "pipeline.backends.jieba_pos:JiebaPosBackend",
        "none": "pipeline.backends.base:NoBackend",
    },
}


class UnknownName(KeyError):
    def __init__(self, kind: str, name: str):
        self.kind, self.name = kind, name
        choices = ", ".join(sorted(REGISTRIES[kind]))
        super().__init__(f"unknown {kind[:-1].replace('_', ' ')} {name!r}; expected one of: {choices}")

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return self.args[0]


def names(kind: str) -> list[str]:
    return sorted(REGISTRIES[kind])


def register(kind: str, name: str, target: Any) -> None:
    """Add an implementation (an object, or a ``"module:attr"`` string)."""
    REGISTRIES[kind][name] = target


def get(kind: str, name: str) -> Any:
    """Resolve a registered name to its implementation, importing it if needed."""
    try:
        target = REGISTRIES[kind][name]
    except KeyError:
        raise UnknownName(kind, name) from None
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module), attr)
        REGISTRIES[kind][name] = target
    return target
