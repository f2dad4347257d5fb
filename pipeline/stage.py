"""What a stage is: a named step with its own typed settings that transforms a batch.

A stage class has

- ``name``: its config name (also the key of its settings section in the YAML),
- ``Settings``: a pydantic model for that section (``extra="forbid"``),
- ``after`` (optional): the stages whose results it works on; where a config lists
  one of them, it must come earlier (the config is rejected otherwise).  A stage
  not listed at all is no error: the stage then does without its results,
- ``__init__(settings, context)``: load models, dictionaries ... once per process,
- ``process(items) -> items``: transform a batch of :class:`Analysis` objects.

Stages find each other's results on the ``Analysis`` (sentences, entities ...); all
offsets there index ``Analysis.doc.text``; the runner maps them to source offsets
when it writes the tables.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import AfterValidator, BaseModel, ValidationInfo

from .records import Document, Entity, ErrorRecord, Fact, Official, Sentence, Token


class StageInitError(Exception):
    """A stage could not be built from its settings (a missing model, a bad dictionary ...).

    Raised before any document is processed; the CLI reports it with exit code 2."""

    exit_code = 2


@dataclass
class Analysis:
    doc: Document
    sentences: list[Sentence] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    officials: list[Official] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)


@dataclass
class RunContext:
    """What every stage may need from the run: where the config lives, etc."""

    base_dir: Path = field(default_factory=Path.cwd)
    extra: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    after: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Any, context: RunContext) -> None: ...

    def process(self, items: list[Analysis]) -> list[Analysis]: ...


def _resolve_any(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir") if info.context else None
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path.resolve()


def _resolve(value: Path, info: ValidationInfo) -> Path:
    path = _resolve_any(value, info)
    if not path.exists():
        raise ValueError(f"path does not exist: {path}")
    return path


# A path in a config file: resolved against the config file's folder and required to exist.
ExistingPath = Annotated[Path, AfterValidator(_resolve)]

# A path that may not exist yet (an output folder), resolved the same way.
ConfigPath = Annotated[Path, AfterValidator(_resolve_any)]
