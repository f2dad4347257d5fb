"""Segmentation: spaCy's Chinese tokenizer with a choice of word segmenter, and sentences.

``segmenter: jieba`` (default), ``pkuseg`` (the model shipped in
``pipeline/resources/models/pkuseg-zh`` or one given by ``pkuseg_model``) or
``char``.  User dictionaries (jieba format: ``word [freq] [pos]`` per line) are
applied in every process that builds the stage, so every worker sees them; the
shipped domain dictionary is added unless ``domain_dict: false``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from .records import Sentence, Token
from .sentences import split_sentences
from .stage import Analysis, ExistingPath, RunContext

from .segmenters import DEFAULT_PKUSEG_MODEL as PKUSEG_MODEL, DOMAIN_DICT, load_user_dict


class SegmentSettings(BaseModel):
    """Word segmentation and sentence splitting."""

    model_config = ConfigDict(extra="forbid")

    segmenter: Literal["jieba", "pkuseg", "char"] = "jieba"
    """Word segmenter behind spaCy's Chinese tokenizer."""
    pkuseg_model: ExistingPath | None = None
    """pkuseg model folder (default: the model shipped with the package)."""
    user_dicts: list[ExistingPath] = []
    """User dictionaries (``word [freq] [pos]`` per line), for jieba and pkuseg alike."""
    domain_dict: bool = True
    """Add the shipped policy/industry dictionary (专精特新, 链主企业 ...)."""
    tokens: bool = False
    """Segment into words and write the ``tokens`` table (sentences are always written)."""

    @field_validator("user_dicts")
    @classmethod
    def _readable_dicts(cls, paths: list[Path]) -> list[Path]:
        for path in paths:
            load_user_dict(path)  # a malformed line: ValueError naming the file and the line
        return paths


class _SpacySegmenter:
    """spaCy's Chinese tokenizer with one of its segmenters (built by :func:`segmenters.make_spacy_zh`)."""

    name = "base"

    def __init__(self, dicts: list[Path], settings: SegmentSettings):
        from .segmenters import make_spacy_zh

        model = settings.pkuseg_model if self.name == "pkuseg" else None
        if self.name == "pkuseg" and not Path(model or PKUSEG_MODEL).exists():
            raise FileNotFoundError(f"pkuseg model not found: {model or PKUSEG_MODEL}")
        self.nlp = make_spacy_zh(self.name, model=model, user_dicts=tuple(dicts))

    def words(self, text: str) -> list[tuple[int, int]]:
        """``[start, end)`` of each word of ``text`` (white space is not a word)."""
        return [(t.idx, t.idx + len(t.text)) for t in self.nlp.make_doc(text) if not t.is_space and t.text.strip()]


class JiebaSegmenter(_SpacySegmenter):
    name = "jieba"


class PkusegSegmenter(_SpacySegmenter):
    name = "pkuseg"


class CharSegmenter(_SpacySegmenter):
    name = "char"


def make_segmenter(settings: SegmentSettings):
    from . import registry

    dicts = ([DOMAIN_DICT] if settings.domain_dict and DOMAIN_DICT.exists() else []) + list(settings.user_dicts)
    return registry.get("segmenters", settings.segmenter)(dicts, settings)


class SegmentStage:
    """Sentences for every document, and words when ``tokens: true``."""

    name = "segment"
    Settings = SegmentSettings
    after = ("layout",)

    def __init__(self, settings: SegmentSettings, context: RunContext | None = None):
        self.settings = settings
        self.segmenter = make_segmenter(settings) if settings.tokens else None

    def process(self, items: list[Analysis]) -> list[Analysis]:
        for item in items:
            doc = item.doc
            item.sentences = [
                Sentence(doc.doc_id, doc.source, i, s, e, doc.text[s:e])
                for i, (s, e) in enumerate(split_sentences(doc.text))
            ]
            if self.segmenter is not None:
                k = 0
                for sent in item.sentences:
                    for ws, we in self.segmenter.words(sent.text):
                        s, e = sent.start + ws, sent.start + we
                        item.tokens.append(Token(doc.doc_id, doc.source, sent.sentence_index, k, s, e, doc.text[s:e]))
                        k += 1
        return items
