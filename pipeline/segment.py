"""Segmentation: spaCy's Chinese tokenizer with a choice of word segmenter, and sentences.

``segmenter: jieba`` (default), ``pkuseg`` (the model shipped in
``pipeline/resources/models/pkuseg-zh`` or one given by ``pkuseg_model``) or
``char``.  User dictionaries (jieba format: ``word [freq] [pos]`` per line) are
applied in every process that builds the stage, so every worker sees them; the
shipped domain dictionary is added unless ``domain_dict: false``.
"""
from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .records import Sentence, Token
from .sentences import split_sentences
from .stage import Analysis, ExistingPath, RunContext

RESOURCES = Path(str(resources.files("pipeline") / "resources"))
DOMAIN_DICT = RESOURCES / "dicts" / "domain.txt"
PKUSEG_MODEL = RESOURCES / "models" / "pkuseg-zh"


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


def read_user_dict(path: Path) -> list[tuple[str, str]]:
    """Lines of a jieba-format dictionary as ``(word, rest_of_line)``."""
    out = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        parts = line.strip().split(maxsplit=1)
        if parts and not parts[0].startswith("#"):
            out.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return out


class _SpacySegmenter:
    name = "base"

    def __init__(self, dicts: list[Path], settings: SegmentSettings):
        import spacy

        self.nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": self.name}}})
        self.setup(dicts, settings)

    def setup(self, dicts: list[Path], settings: SegmentSettings) -> None:
        pass

    def words(self, text: str) -> list[tuple[int, int]]:
        """``[start, end)`` of each word of ``text`` (white space is not a word)."""
        return [(t.idx, t.idx + len(t.text)) for t in self.nlp.make_doc(text) if not t.is_space and t.text.strip()]


class JiebaSegmenter(_SpacySegmenter):
    name = "jieba"

    def setup(self, dicts, settings):
        import jieba

        jieba.setLogLevel(60)
        for d in dicts:
            for word, rest in read_user_dict(d):
                fields = rest.split()
                freq = int(fields[0]) if fields and fields[0].isdigit() else None
                tag = next((f for f in fields if not f.isdigit()), None)
                jieba.add_word(word, freq, tag)


class PkusegSegmenter(_SpacySegmenter):
    name = "pkuseg"

    def setup(self, dicts, settings):
        model = Path(settings.pkuseg_model or PKUSEG_MODEL)
        if not model.exists():
            raise FileNotFoundError(f"pkuseg model not found: {model}")
        user_dict = "default"
        if dicts:
            words = [w for d in dicts for w, _ in read_user_dict(d)]
            tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
            tmp.write("\n".join(dict.fromkeys(words)) + "\n")
            tmp.close()
            user_dict = tmp.name
        self.nlp.tokenizer.initialize(pkuseg_model=str(model), pkuseg_user_dict=user_dict)


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
