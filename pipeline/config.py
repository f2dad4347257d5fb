"""Typed configuration: YAML validated into pydantic models.

The top-level model is assembled from the registry: every registered stage
contributes a section named after it, typed by its ``Settings`` model, so adding
a stage never means editing this file or the runner.

Errors name the config file, the key path and what was expected::

    configs/bad.yaml: input.batch_sise: unknown key (allowed: paths, format, ...)
"""
from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from . import registry
from .stage import ConfigPath


class ConfigError(Exception):
    """An invalid configuration; the message names the file, the key path and the problem."""

    exit_code = 2


class InputSettings(BaseModel):
    """Where the documents come from."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1)
    """Files, directories (read recursively) and glob patterns, relative to the config file."""
    format: Literal["auto", "txt", "md", "jsonl", "csv", "parquet"] = "auto"
    """``auto`` picks the reader by file extension."""
    encoding: str | None = None
    """Text encoding; by default UTF-8 (with or without BOM) and GB18030/GBK are detected."""
    text_column: str = "text"
    """Column / JSON key holding the text (jsonl, csv, parquet)."""
    id_column: str | None = None
    """Column / JSON key holding a record id (default: the line or row number); an id that is
    not a string or a number fails its record."""
    date_column: str | None = None
    """Column / JSON key holding each record's date (``2020-01-26``, ``2020/1/26``, ``20200126``,
    ``2020年1月26日``, a date or timestamp): the document's date, before its dateline, a date in
    the file name and ``layout.publication_date``.  A missing column is an error; an empty or
    unreadable value leaves the date to those."""
    extensions: list[str] = ["txt", "md", "jsonl", "csv", "parquet"]
    """File extensions picked up when a directory is given."""


class OutputSettings(BaseModel):
    """Where and what to write."""

    model_config = ConfigDict(extra="forbid")

    dir: ConfigPath = Path("out")
    """Output folder; one Parquet dataset per table under it."""
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    """Parquet compression codec."""


class DaskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = None
    """Scheduler address; a local cluster is started when empty."""
    n_workers: int = Field(2, ge=1)
    """Workers of the local cluster."""


class RunSettings(BaseModel):
    """How the run is executed."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(16, ge=1, le=100_000)
    """Documents (input records) per batch; memory is bounded by this, not by corpus size."""
    workers: int = Field(1, ge=1)
    """Worker processes on this machine; output is identical whatever the number."""
    executor: Literal["local", "dask"] = "local"
    """``local``: this machine (``workers`` processes); ``dask``: a Dask cluster (see ``run.dask``)."""
    dask: DaskSettings = DaskSettings()
    fail_fast: bool = False
    """Stop at the first failed document instead of recording it and going on."""
    cache: bool = True
    """Reuse rows of inputs whose content and config are unchanged since the last run (``--force`` ignores it)."""


class ConfigBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stages: list[str] = ["layout", "segment", "entities", "facts"]
    """Stage names in order, each once; each is looked up in the stage registry.  A stage comes
    after the stages whose results it works on (segment after layout, entities after both, facts
    after all three) where the list has them."""
    input: InputSettings
    output: OutputSettings = OutputSettings()
    run: RunSettings = RunSettings()

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, value: list[str]) -> list[str]:
        for i, name in enumerate(value):
            if name not in registry.REGISTRIES["stages"]:
                raise ValueError(f"unknown stage {name!r}; expected one of: {', '.join(registry.names('stages'))}")
            if name in value[:i]:
                raise ValueError(f"{name!r} is listed twice")
        for i, name in enumerate(value):
            for before in getattr(registry.get("stages", name), "after", ()):
                if before in value[i + 1:]:
                    raise ValueError(f"{before!r} must come before {name!r}, which works on its results")
        return value

    # set by load_config
    _path: Path | None = None
    _base_dir: Path = Path(".")

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    def stage_settings(self, name: str) -> BaseModel:
        return getattr(self, name)

    def fingerprint(self) -> str:
        """Hash of everything that changes the output (not run/output settings)."""
        data = self.model_dump(mode="json", exclude={"run", "output"})
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@lru_cache(maxsize=None)
def _config_model(stage_names: tuple[str, ...]) -> type[ConfigBase]:
    sections: dict[str, Any] = {}
    for name in stage_names:
        settings = registry.get("stages", name).Settings
        sections[name] = (settings, Field(default_factory=settings))
    return create_model("Config", __base__=ConfigBase, **sections)


def config_model() -> type[ConfigBase]:
    """The config model for the stages registered now (sections in registry order)."""
    return _config_model(tuple(registry.REGISTRIES["stages"]))


def _describe(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    given = err.get("input")
    if isinstance(given, (str, int, float, bool)) or given is None:
        return f"{msg} (got {given!r})"
    return msg


def _format_errors(source: str, exc: ValidationError, model: type[BaseModel]) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        desc = _describe(err)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, err["loc"][:-1])
            if allowed:
                desc += f" (allowed: {', '.join(allowed)})"
        lines.append(f"{source}: {loc}: {desc}")
    return "\n".join(lines)


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None or not (isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)):
            return []
        model = field.annotation
    return list(model.model_fields)


def apply_overrides(data: dict, overrides: list[str] | None, source: str = "--set") -> dict:
    """Apply ``key.path=value`` overrides; values are parsed as YAML (``3``, ``true``, ``[a, b]``)."""
    data = copy.deepcopy(data)
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{source} {item!r}: expected KEY.PATH=VALUE")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source} {item!r}: value is not valid YAML: {exc}") from None
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None,
                data: dict | None = None, base_dir: str | Path | None = None) -> ConfigBase:
    """Read, override and validate a config.

    ``path``: a YAML file (relative paths inside it resolve against its folder), or
    ``data``: a dict (relative paths resolve against ``base_dir``, default the cwd).
    Raises :class:`ConfigError` with every problem listed.
    """
    source = str(path) if path is not None else "<config>"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{source}: config file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: not valid YAML: {exc}") from None
        base = path.resolve().parent
    else:
        data = data or {}
        base = Path(base_dir or Path.cwd()).resolve()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: (top level): expected a mapping of sections, got {type(data).__name__}")
    data = apply_overrides(data, overrides)
    model = config_model()
    try:
        config = model.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc, model)) from None
    config._path = Path(path) if path is not None else None
    config._base_dir = base
    return config


def config_reference() -> str:
    """Markdown reference of every config key, generated from the models (README uses it)."""
    out = ["| key | type | default | description |", "|---|---|---|---|"]

    def walk(model: type[BaseModel], prefix: str) -> None:
        docs = _field_docs(model)
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, key + ".")
                continue
            default = "required" if field.is_required() else (
                "" if field.default_factory else json.dumps(field.default, default=str, ensure_ascii=False))
            tname = _type_name(ann)
            desc = (field.description or docs.get(name, "")).replace("\n", " ").replace("|", "\\|")
            out.append(f"| `{key}` | `{tname}` | `{default}` | {desc} |")

    walk(config_model(), "")
    return "\n".join(out)


def _type_name(ann: Any) -> str:
    import typing

    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(parts) + (" \\| null" if type(None) in args else "")
    if origin is typing.Annotated:
        return "path" if args and args[0] is Path else _type_name(args[0])
    if origin in (list, tuple):
        return f"list[{_type_name(args[0])}]" if args else "list"
    if origin is dict:
        return "mapping"
    if ann is Path:
        return "path"
    return getattr(ann, "__name__", None) or str(ann).replace("typing.", "")


def _field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Attribute docstrings (the string literal after a field) of a pydantic model."""
    import ast
    import inspect
    import textwrap

    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for a, b in zip(body, body[1:]):
            if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) and isinstance(b, ast.Expr) \
                    and isinstance(getattr(b, "value", None), ast.Constant) and isinstance(b.value.value, str):
                docs[a.target.id] = " ".join(b.value.value.split())
    return docs


if __name__ == "__main__":  # python -m pipeline.config  -> the Markdown reference
    print(config_reference())
