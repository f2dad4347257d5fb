"""The NER backend protocol shared by every statistical tagger.

A backend turns plain strings into character-offset spans with our labels
(PERSON, PLACE, ORG, COMPANY, GOV).  Backends that cannot tell organisation
types apart return ``ORG``.
"""
from __future__ import annotations

from typing import Protocol

Span = tuple[int, int, str]  # start, end (exclusive), label


class ModelError(OSError):
    """A backend's model lacks a part or holds a damaged file; the message names the model
    folder and the part (and the file, where known)."""


class NerBackend(Protocol):
    name: str

    def tag(self, texts: list[str]) -> list[list[Span]]:
        """Spans for each text, offsets are ``str`` indices into that text."""
        ...


class NoBackend:
    """``backend: none`` -- rules only."""

    name = "none"

    def __init__(self, **_: object) -> None:
        pass

    def tag(self, texts: list[str]) -> list[list[Span]]:
        return [[] for _ in texts]
