"""The ``extract`` command: a thin Typer layer over the library.

Exit codes: 0 success; 1 the run or gate failed (regression, --fail-fast stop,
unexpected error); 2 invalid usage, config or input paths (nothing written);
3 the run completed but some documents failed (listed in ``documents``/``errors``);
130 interrupted (Ctrl-C; nothing written).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_show_locals=False,
                  help="zh-extract: turn Chinese news and government text into typed Parquet tables "
                       "(documents, sentences, entities, officials, facts).")
train_app = typer.Typer(no_args_is_help=True, help="Train the project's models from public corpora.")
app.add_typer(train_app, name="train")


def _version(value: bool):
    if value:
        typer.echo(f"zh-extract {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    pass


def _die(message: str, code: int = 2):
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load(config: Path, overrides: list[str] | None):
    from .config import ConfigError, load_config

    try:
        return load_config(config, overrides)
    except ConfigError as exc:
        _die(str(exc), 2)


@app.command()
def run(
    config: Path = typer.Argument(..., help="YAML config file (see README: configuration reference)."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a config key: KEY.PATH=VALUE (repeatable)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output folder (overrides output.dir)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop at the first document that fails."),
    force: bool = typer.Option(False, "--force", help="Process every input again, ignoring cached rows."),
):
    """Run the configured stages over the inputs and write one Parquet dataset per table.

    Output goes to a temporary folder that replaces OUTPUT only when the run completes.
    """
    from .readers import InputError
    from .runner import RunFailed, run as run_config
    from .stage import StageInitError
    from .writer import OutputError

    cfg = _load(config, set_)
    try:
        summary = run_config(cfg, output=output, progress=not quiet, fail_fast=fail_fast or None, force=force)
    except (InputError, OutputError, StageInitError) as exc:
        _die(str(exc), 2)
    except RunFailed as exc:
        _die(f"stopped at the first failure (--fail-fast): {exc}", 1)
    if not quiet:
        _print_summary(summary)
    raise typer.Exit(summary.exit_code)


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    t = Table(title=f"{summary.output_dir}  ({summary.seconds:.1f} s)", show_header=True)
    t.add_column("table")
    t.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        t.add_row(name, str(n))
    console.print(t)
    console.print(f"documents: {summary.documents} ({summary.ok} ok, {summary.failed} failed); "
                  f"inputs reused from cache: {summary.cached_inputs}")
    if summary.failed:
        console.print("[yellow]some documents failed: see the documents table (status, error) and errors[/]")


@app.command("eval")
def eval_(
    config: Path = typer.Argument(..., help="YAML config whose pipeline is evaluated."),
    gold: Path = typer.Option(Path("data/gold"), "--gold", help="Folder of *.gold.json files (see GUIDELINES.md)."),
    output: Optional[Path] = typer.Option(None, "--output", help="Score this existing output folder instead of running."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override a config key: KEY.PATH=VALUE."),
    json_file: Optional[Path] = typer.Option(None, "--json", help="Write the numbers as JSON."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Write the table as Markdown."),
    errors: bool = typer.Option(False, "--errors", help="List every false positive/negative with its sentence."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Fail (exit 1) if a metric drops below this baseline."),
    tolerance: float = typer.Option(0.005, "--tolerance", help="Allowed drop below the baseline."),
    update_baseline: bool = typer.Option(False, "--update-baseline", help="Rewrite --baseline with the current numbers."),
):
    """Score the pipeline against gold files: entities, officials and facts, as GUIDELINES.md defines."""
    from rich.console import Console
    from rich.table import Table

    from .evaluation.extraction import GoldError, compare_baseline, evaluate

    cfg = _load(config, set_)
    try:
        report = evaluate(cfg, gold, output=output)
    except GoldError as exc:
        _die(str(exc), 2)
    t = Table(title=f"accuracy on {gold} ({', '.join(report.files)})")
    for col in ("metric", "precision", "recall", "F1 / accuracy", "gold"):
        t.add_column(col, justify="left" if col == "metric" else "right")
    for row in report.table_rows():
        t.add_row(*row)
    console = Console(width=120)
    console.print(t)
    if errors:
        typer.echo(report.errors_text())
    metrics = report.metrics()
    if json_file:
        json_file.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if markdown:
        markdown.write_text(report.markdown(), encoding="utf-8")
    if baseline and update_baseline:
        baseline.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        typer.echo(f"baseline updated: {baseline}")
    elif baseline:
        if not baseline.is_file():
            _die(f"{baseline}: baseline file not found (create it with --update-baseline)", 2)
        regressions = compare_baseline(metrics, json.loads(baseline.read_text(encoding="utf-8")), tolerance)
        if regressions:
            typer.echo("accuracy regression against " + str(baseline) + ":", err=True)
            for r in regressions:
                typer.echo("  " + r, err=True)
            raise typer.Exit(1)
        typer.echo(f"no metric below {baseline} (tolerance {tolerance})")


@app.command("eval-ner")
def eval_ner(
    path: Path = typer.Argument(..., help="Corpus file (e.g. ../shared/datasets/msra/test.bio)."),
    dataset: str = typer.Option(..., "--dataset", help="Corpus format: msra, pd1998, cluener, weibo, resume, literature."),
    backend: List[str] = typer.Option(["spacy"], "--backend", help="NER backend(s): spacy, lac, jieba, none (repeatable)."),
    pipeline: bool = typer.Option(False, "--pipeline", help="Also score the whole entity stage (rules, gazetteers, "
                                  "merge) with each backend, beside the backend alone."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N sentences."),
    conventions: str = typer.Option("corpus", "--conventions",
                                    help="corpus: the corpus's gold as it is; guidelines: without the spans our "
                                         "guidelines call never entities (one-character abbreviations, 中华 ...), "
                                         "removed from gold and predictions alike."),
    json_file: Optional[Path] = typer.Option(None, "--json", help="Write the numbers as JSON."),
    backend_option: List[str] = typer.Option([], "--backend-option",
                                             help="KEY=VALUE option of the backend's constructor (repeatable), "
                                                  "e.g. runtime=onnx-int8 for spacy."),
):
    """Score NER backends on a public annotated corpus: strict span P/R/F1 per type, and chars/s."""
    from . import registry
    from .backends.base import ModelError
    from .evaluation.ner import CONVENTIONS, DATASETS, evaluate_ner, evaluate_pipeline, format_report

    if not path.exists():
        _die(f"{path}: no such file", 2)
    if dataset not in DATASETS:
        _die(f"unknown dataset {dataset!r}; expected one of: {', '.join(DATASETS)}", 2)
    if conventions not in CONVENTIONS:
        _die(f"--conventions: unknown {conventions!r}; expected one of: {', '.join(CONVENTIONS)}", 2)
    for name in backend:
        if name not in registry.names("ner_backends"):
            _die(f"--backend: unknown NER backend {name!r}; expected one of: {', '.join(registry.names('ner_backends'))}", 2)
    from .config import ConfigError, apply_overrides

    try:
        options = apply_overrides({}, backend_option, source="--backend-option")
    except ConfigError as exc:
        _die(str(exc), 2)
    results = {}
    for name in backend:
        try:
            reports = evaluate_pipeline(dataset, path, backend=name, limit=limit, conventions=conventions,
                                        settings={"backend_options": options} if options else None) if pipeline \
                else (evaluate_ner(dataset, path, backend=name, backend_options=options, limit=limit,
                                   conventions=conventions),)
        except (ModelError, ValueError, TypeError) as exc:
            _die(f"--backend {name}: {exc}", 2)
        for key, report in zip((name, f"pipeline:{name}"), reports):
            typer.echo(format_report(report))
            results[key] = report.to_dict()
    if json_file:
        json_file.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


@app.command("eval-seg")
def eval_seg(
    gold_file: Path = typer.Argument(..., help="Segmented gold file (words separated by spaces)."),
    segmenter: List[str] = typer.Option(["jieba", "pkuseg", "char"], "--segmenter",
                                        help="Segmenter(s): jieba, pkuseg, char (repeatable)."),
    model: Optional[Path] = typer.Option(None, "--model", help="pkuseg model folder (default: the shipped one)."),
    user_dict: Optional[List[Path]] = typer.Option(None, "--user-dict", help="User dictionary (repeatable)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N sentences."),
):
    """Word precision, recall, F1 and chars/s of segmenters on a gold segmentation file
    (SIGHAN format: words separated by spaces, one sentence per line)."""
    from .evaluation.segmentation import evaluate_segmenter, format_table
    from .segmenters import SEGMENTERS, load_user_dict

    if not gold_file.exists():
        _die(f"{gold_file}: no such file", 2)
    for name in segmenter:
        if name not in SEGMENTERS:
            _die(f"--segmenter: unknown segmenter {name!r}; expected one of: {', '.join(SEGMENTERS)}", 2)
    if model is not None and not (model / "features.msgpack").is_file():
        _die(f"--model {model}: not a pkuseg model folder (no features.msgpack)", 2)
    for path in user_dict or ():
        if not path.is_file():
            _die(f"--user-dict {path}: no such file", 2)
        try:
            load_user_dict(path)
        except ValueError as exc:
            _die(f"--user-dict {exc}", 2)
    results = [evaluate_segmenter(name, gold_file, model=model, user_dicts=user_dict or (), limit=limit)
               for name in segmenter]
    typer.echo(format_table(results))


@train_app.command("ner")
def train_ner(
    config: Path = typer.Option(Path("configs/train-ner.yaml"), "--config", help="Training config (YAML)."),
    output: Path = typer.Option(..., "--output", help="Model folder to write."),
):
    """Train the spaCy NER model and organisation-type classifier from the public corpora.

    configs/train-ner.yaml averages the models of earlier stages; the commands for every stage,
    in order, are at the top of that file.
    """
    from .training.ner import train_ner as train_ner_model

    _check_training_config(config)
    _check_output_folder(output)
    scores = train_ner_model(config, output)
    typer.echo(json.dumps(scores, ensure_ascii=False, indent=2, default=str))


def _shown(path: Path | str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    import os

    path = Path(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("../../..") else str(path)


def _check_training_config(config: Path) -> None:
    """Exit 2 with one line naming everything a NER training config needs and cannot find:
    the config itself, corpus files, and the models of earlier stages it starts from or averages."""
    import yaml

    from .training.ner import load_config as load_training_config

    if not config.is_file():
        _die(f"{config}: training config not found", 2)
    try:
        cfg = load_training_config(config)
        missing = []
        for part in ("train", "eval"):
            for item in cfg[part]:
                path = Path(item["path"])
                # a silver item is a folder of DocBin shards, every other corpus a file
                found = any(path.glob("*.spacy")) if item.get("dataset") == "silver" else path.is_file()
                if not found:
                    missing.append(f"{part} corpus {item.get('dataset')} {_shown(item['path'])}")
        models = [("missing_predicted", item["missing_predicted"]) for item in cfg["train"]
                  if item.get("missing_predicted")]
        models += [("ner.source", cfg["ner"]["source"])] if cfg["ner"].get("source") else []
        models += [("ner.average", m) for m in cfg["ner"].get("average") or []]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        _die(f"{config}: not a readable training config ({type(exc).__name__}: {exc})", 2)
    models_missing = sorted({f"{key} model {_shown(m)}" for key, m in models
                             if not (Path(m) / "ner" / "config.cfg").is_file()})
    if missing or models_missing:
        hint = (" (models of earlier stages: train them first, with the commands at the top of "
                f"{_shown(config)})") if models_missing else ""
        _die(f"{config}: not found: {'; '.join(missing + models_missing)}{hint}", 2)


def _check_output_folder(output: Path) -> None:
    if output.exists() and not output.is_dir():
        _die(f"{output}: exists and is not a folder", 2)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _die(f"{output}: cannot create the output folder: {exc.strerror or exc}", 2)


@train_app.command("segmenter")
def train_segmenter(
    train: Path = typer.Option(..., "--train", help="Segmented training file (words separated by spaces)."),
    dev: Path = typer.Option(..., "--dev", help="Segmented development file."),
    output: Path = typer.Option(..., "--output", help="Model folder to write."),
    iterations: int = typer.Option(12, "--iter", min=1, help="Training iterations (the shipped model: 12)."),
):
    """Train a pkuseg segmentation model with spacy-pkuseg's own trainer."""
    from .training.segmenter import train_segmenter as train_pkuseg

    for label, path in (("--train", train), ("--dev", dev)):
        if not path.is_file():
            _die(f"{label} {path}: no such file", 2)
    try:
        with open(train, encoding="utf-8") as fh:
            sentences = sum(1 for line in fh if line.strip())
    except (OSError, UnicodeDecodeError) as exc:
        _die(f"--train {train}: cannot read it as UTF-8 text ({exc})", 2)
    if sentences < 10:  # spacy-pkuseg's optimiser divides the data into 10 update intervals
        _die(f"--train {train}: {sentences} sentence(s); pkuseg's trainer needs at least 10", 2)
    _check_output_folder(output)
    scores = train_pkuseg(train, dev, output, train_iter=iterations)
    typer.echo(json.dumps(scores, ensure_ascii=False, indent=2, default=str))


# the readable columns of each table, shown by `extract show` unless --columns says otherwise
SHOW_COLUMNS = {
    "documents": ["doc_id", "title", "date", "reporters", "status"],
    "sentences": ["sentence_index", "text"],
    "tokens": ["sentence_index", "token_index", "text"],
    "entities": ["text", "label", "canonical", "province", "city", "county"],
    "officials": ["person", "titles", "orgs"],
    "facts": ["text", "value", "unit", "kind", "subject", "entity", "time", "place"],
    "errors": ["source", "stage", "error_type", "message"],
}


@app.command()
def show(
    out_dir: Path = typer.Argument(..., help="Output folder of a run."),
    table: str = typer.Argument(..., help="Table name: documents, sentences, entities, officials, facts, errors, tokens."),
    where: Optional[str] = typer.Option(None, "--where", help="SQL condition (DuckDB), e.g. \"kind = 'money' AND value > 1e9\"."),
    order_by: Optional[str] = typer.Option(None, "--order-by", help="SQL ORDER BY list, e.g. \"value DESC\"."),
    columns: Optional[str] = typer.Option(None, "--columns", "-c",
                                          help="Comma-separated columns to show, or 'all' (default: the readable ones)."),
    limit: int = typer.Option(20, "--limit", "-n", help="Rows to show."),
):
    """Print a table of a run's output as a readable terminal table.

    --where and --order-by are SQL run read-only by DuckDB over the run's tables only
    (no file or network access); data is printed as text, never as markup.
    """
    from .query import QueryError, select, table_folders

    folders = table_folders(out_dir)
    if table not in folders:
        known = ", ".join(folders) or "none: not an output folder of `extract run`"
        _die(f"{out_dir / table}: no such table (tables here: {known})", 2)
    import pyarrow.parquet as pq

    available = pq.ParquetDataset(folders[table]).schema.names
    if columns and columns.strip() not in ("all", "*"):
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        missing = [c for c in wanted if c not in available]
        if missing:
            _die(f"unknown column(s) {', '.join(missing)}; columns: {', '.join(available)}", 2)
    elif columns:
        wanted = list(available)
    else:
        wanted = [c for c in SHOW_COLUMNS.get(table, available) if c in available] or list(available)
    if limit < 0:
        _die(f"--limit {limit}: must be 0 or more", 2)
    try:
        rows, count = select(out_dir, table, wanted, where=where, order_by=order_by, limit=limit)
    except QueryError as exc:
        _die(f"--where/--order-by: {exc}", 2)
    title = f"{table}: {_rows(count)}" + (f" where {where}" if where else "")
    if count > rows.num_rows:
        title += f" (first {rows.num_rows}; --limit N for more)"
    _print_arrow(title, rows, max_width=40)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.6g}"
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    return str(v).replace("\n", "⏎")


@app.command()
def sql(
    out_dir: Path = typer.Argument(..., help="Output folder of a run."),
    query: str = typer.Argument(..., help="One SELECT statement; the run's tables are views: documents, facts ..."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
    json_: bool = typer.Option(False, "--json", help="Print JSON lines (one object per row) instead of a table."),
    limit: int = typer.Option(1000, "--limit", "-n", help="At most this many rows in the terminal table (CSV/JSON: all)."),
):
    """Run read-only SQL (DuckDB) over a run's tables.

    Every table folder of OUT_DIR is a view of the same name (documents, sentences,
    entities, officials, facts, errors ...). Only one SELECT statement is accepted, and
    DuckDB's file and network access is off: the query sees the run's tables and nothing else.
    """
    from .query import QueryError, query as run_query, table_folders

    if not table_folders(out_dir):
        _die(f"{out_dir}: not an output folder of `extract run` (no tables)", 2)
    if csv and json_:
        _die("--csv and --json: choose one", 2)
    try:
        result = run_query(out_dir, query)
    except QueryError as exc:
        _die(f"sql: {exc}", 2)
    if csv:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        # CSV has no lists or structs (officials.titles, documents.reporters): write them as JSON
        for i, field in enumerate(result.schema):
            if pa.types.is_nested(field.type):
                values = [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                          for v in result.column(i).to_pylist()]
                result = result.set_column(i, field.name, pa.array(values, pa.string()))
        buf = __import__("io").BytesIO()
        pacsv.write_csv(result, buf)
        sys.stdout.write(buf.getvalue().decode("utf-8"))
        return
    if json_:
        for row in result.to_pylist():
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    shown = result.slice(0, max(limit, 0))
    title = _rows(result.num_rows) + (f" (first {shown.num_rows}; --limit N or --csv for all)"
                                         if shown.num_rows < result.num_rows else "")
    _print_arrow(title, shown, max_width=60)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _print_arrow(title: str, rows, max_width: int) -> None:
    """A pyarrow Table as a rich table; every cell and the title are plain text, never markup."""
    import pyarrow.types as pt
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(title), show_lines=False)
    for field in rows.schema:
        numeric = pt.is_integer(field.type) or pt.is_floating(field.type) or pt.is_decimal(field.type)
        t.add_column(Text(field.name), overflow="fold", max_width=max_width, no_wrap=numeric,
                     justify="right" if numeric else "left")
    for row in rows.to_pylist():
        t.add_row(*[Text(_cell(v)) for v in row.values()])
    Console().print(t)


@app.command()
def report(
    out_dir: Path = typer.Argument(..., help="Output folder of a run."),
    html: Optional[Path] = typer.Option(None, "--html", help="HTML file to write (default: OUT_DIR/report.html)."),
):
    """Write a self-contained HTML review page: articles with entities and facts highlighted."""
    from .report import write_report

    if not (out_dir / "documents").is_dir():
        _die(f"{out_dir}: not an output folder of `extract run` (no documents table)", 2)
    path = write_report(out_dir, html or out_dir / "report.html")
    typer.echo(str(path))


@app.command()
def schema():
    """Print every output table with its columns and types."""
    from rich.console import Console
    from rich.table import Table

    from .schema import DESCRIPTIONS, SCHEMAS

    console = Console()
    for name, sch in SCHEMAS.items():
        t = Table(title=f"{name}: {DESCRIPTIONS[name]}", title_justify="left")
        t.add_column("column")
        t.add_column("type")
        for f in sch:
            t.add_row(f.name, str(f.type))
        console.print(t)


def main():
    app()  # Ctrl-C: typer turns KeyboardInterrupt into exit 130 (the runner removes its temporary output first)


if __name__ == "__main__":
    main()
