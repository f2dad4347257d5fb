"""Every command the README documents works as documented (issue 18): the Commands table's
commands and options exist, each command runs on tiny inputs (a tiny training run included),
the worked example's command lines run as written, and the README's SQL queries run."""
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from pipeline.cli import app

from conftest import REPO, SHARED

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def documented_commands() -> dict[str, str]:
    """``{"run": "extract run CONFIG [...]", "train ner": ...}`` from the Commands table."""
    out = {}
    for cell in re.findall(r"^\| `(extract [^`]+)` \|", section("## Commands"), flags=re.M):
        words = cell.replace("\\|", "|").split()
        name = " ".join(words[1:3]) if words[1] == "train" else words[1]
        out[name] = cell.replace("\\|", "|")
    return out


def documented_sql() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", section("### SQL over a run"), flags=re.S)
    queries = []
    for block in blocks:
        args = shlex.split(block, comments=True)
        assert args[:3] == ["extract", "sql", "out"], block
        queries.append(args[3])
    return queries


def worked_example() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", section("## Worked example: from config to notebook"), flags=re.S).group(1)
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines()
            if line.startswith(".venv/bin/extract ")]


def click_command(name: str):
    group = typer.main.get_command(app)
    cmd = group
    for part in name.split():
        cmd = cmd.commands[part]
    return cmd


def test_every_documented_command_and_option_exists():
    commands = documented_commands()
    assert set(commands) == set(EXERCISED), "a README command without a test here, or the reverse"
    for name, usage in commands.items():
        opts = {o for p in click_command(name).params for o in p.opts}
        for option in re.findall(r"--[a-z][a-z-]*", usage):
            assert option in opts, f"README: `{usage}`: {option} is not an option of `extract {name}`"


def test_the_readme_has_the_three_sql_queries():
    assert len(documented_sql()) == 3


# --------------------------------------------------------------------------- running them

def extract(*args, cwd, expect=0):
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**__import__("os").environ, "COLUMNS": "200"})
    assert proc.returncode == expect, f"extract {' '.join(map(str, args))}: {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """A copy of the project's config and sample data; `extract run configs/default.yaml` done."""
    root = tmp_path_factory.mktemp("ws")
    (root / "configs").mkdir()
    shutil.copy(REPO / "configs" / "default.yaml", root / "configs")
    shutil.copy(REPO / "configs" / "train-ner.yaml", root / "configs")
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copytree(REPO / "data" / "gold", root / "data" / "gold")
    extract("run", "configs/default.yaml", "--quiet", cwd=root)
    # tiny corpora
    (root / "tiny").mkdir()
    bio = "".join(f"{c}\t{t}\n" for c, t in zip("青岛市政府召开会议", ["B-LOC", "I-LOC", "I-LOC", "B-ORG", "I-ORG",
                                                                      "O", "O", "O", "O"]))
    (root / "tiny" / "msra.bio").write_text(bio + "\n" + bio, encoding="utf-8")
    (root / "tiny" / "seg.utf8").write_text("青岛  市政府  召开  会议\n全市  共有  企业  6835  家\n" * 6, encoding="utf-8")
    return root


def _train_ner_tiny(ws: Path):
    pytest.importorskip("spacy")
    tiny = ws / "tiny-ner"
    tiny.mkdir(exist_ok=True)
    msra = SHARED / "datasets" / "msra" / "train.bio"
    cluener = SHARED / "datasets" / "cluener" / "train.json"
    if not msra.is_file() or not cluener.is_file():
        pytest.skip("the public corpora are not in ../shared/datasets")
    sents = msra.read_text(encoding="utf-8").split("\n\n")
    (tiny / "train.bio").write_text("\n\n".join(sents[:120]) + "\n", encoding="utf-8")
    (tiny / "test.bio").write_text("\n\n".join(sents[120:150]) + "\n", encoding="utf-8")
    with open(cluener, encoding="utf-8") as fh:
        (tiny / "cluener.json").write_text("".join(next(fh) for _ in range(150)), encoding="utf-8")
    (tiny / "train.yaml").write_text(
        "seed: 0\n"
        "train:\n"
        "  - {dataset: msra, path: train.bio}\n"
        "  - {dataset: cluener, path: cluener.json, use: [orgtype]}\n"
        "eval:\n"
        "  - {dataset: msra, path: test.bio}\n"
        "dev: {msra: 20}\n"
        "ner: {width: 32, depth: 2, max_epochs: 2, max_steps: 20, eval_frequency: 10, batch_start: 50,\n"
        "      batch_stop: 100, rows: [500, 1000]}\n"
        "orgtype: {max_epochs: 2, eval_frequency: 10, dev: 20}\n", encoding="utf-8")
    extract("train", "ner", "--config", tiny / "train.yaml", "--output", tiny / "model", cwd=ws)
    assert (tiny / "model" / "ner" / "config.cfg").is_file() and (tiny / "model" / "orgtype").is_dir()


def _train_ner(ws: Path):
    # as the README writes it: configs/train-ner.yaml averages earlier stages' models, which are not
    # there: one line naming them, exit 2
    proc = extract("train", "ner", "--config", "configs/train-ner.yaml", "--output", "model", cwd=ws, expect=2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: configs/train-ner.yaml: not found:"), proc.stderr
    assert "ner.average model build/ner-stage2" in lines[0] and "build/ner-stage2b" in lines[0]
    assert not (ws / "model").exists()
    proc = extract("train", "ner", "--config", "configs/nope.yaml", "--output", "model", cwd=ws, expect=2)
    assert proc.stderr.strip() == "error: configs/nope.yaml: training config not found"
    _train_ner_tiny(ws)


def _train_segmenter(ws: Path):
    proc = extract("train", "segmenter", "--train", "tiny/seg.utf8", "--dev", "tiny/seg.utf8", "--output", "seg",
                   "--iter", "1", cwd=ws)
    assert json.loads(proc.stdout)["train_sentences"] == 12
    assert (ws / "seg" / "weights.npz").is_file()
    extract("eval-seg", "tiny/seg.utf8", "--segmenter", "pkuseg", "--model", "seg", cwd=ws)
    (ws / "tiny" / "two.utf8").write_text("青岛  市政府\n全市  共有\n", encoding="utf-8")
    proc = extract("train", "segmenter", "--train", "tiny/two.utf8", "--dev", "tiny/seg.utf8", "--output", "seg2",
                   cwd=ws, expect=2)
    assert proc.stderr.strip() == "error: --train tiny/two.utf8: 2 sentence(s); pkuseg's trainer needs at least 10"
    proc = extract("train", "segmenter", "--train", "tiny/nope.utf8", "--dev", "tiny/seg.utf8", "--output", "seg",
                   cwd=ws, expect=2)
    assert proc.stderr.strip() == "error: --train tiny/nope.utf8: no such file"


def _run(ws: Path):
    extract("run", "configs/default.yaml", "--set", "entities.backend=none", "--output", "out-run", "--force",
            "--fail-fast", "--quiet", cwd=ws)
    assert (ws / "out-run" / "manifest.json").is_file()


def _eval(ws: Path):
    extract("eval", "configs/default.yaml", "--gold", "data/gold", "--output", "out", "--errors", "--json", "e.json",
            "--markdown", "e.md", "--baseline", "b.json", "--update-baseline", cwd=ws)
    proc = extract("eval", "configs/default.yaml", "--gold", "data/gold", "--output", "out", "--baseline", "b.json",
                   cwd=ws)
    assert "no metric below b.json" in proc.stdout
    assert json.loads((ws / "e.json").read_text(encoding="utf-8")) and (ws / "e.md").is_file()


def _eval_ner(ws: Path):
    proc = extract("eval-ner", "--dataset", "msra", "tiny/msra.bio", "--backend", "none", "--backend", "jieba", cwd=ws)
    assert "none" in proc.stdout and "jieba" in proc.stdout


def _eval_seg(ws: Path):
    proc = extract("eval-seg", "tiny/seg.utf8", "--segmenter", "jieba", "--segmenter", "char", cwd=ws)
    assert "jieba" in proc.stdout and "char" in proc.stdout


def _show(ws: Path):
    proc = extract("show", "out", "facts", "--where", "kind = 'money'", "--order-by", "value DESC",
                   "--columns", "text,value", "--limit", "2", cwd=ws)
    assert "unit" not in proc.stdout and "亿元" in proc.stdout  # only the chosen columns
    extract("show", "out", "entities", "--columns", "all", cwd=ws)


def _sql(ws: Path):
    for q in documented_sql():
        proc = extract("sql", "out", q, cwd=ws)
        assert " rows" in proc.stdout or " row" in proc.stdout
        assert extract("sql", "out", q, "--csv", cwd=ws).stdout.count("\n") >= 2
        assert json.loads(extract("sql", "out", q, "--json", "--limit", "1", cwd=ws).stdout.splitlines()[0])


def _schema(ws: Path):
    assert "facts" in extract("schema", cwd=ws).stdout


def _report(ws: Path):
    extract("report", "out", "--html", "review.html", cwd=ws)
    assert (ws / "review.html").stat().st_size > 1000


EXERCISED = {"run": _run, "eval": _eval, "eval-ner": _eval_ner, "eval-seg": _eval_seg, "train ner": _train_ner,
             "train segmenter": _train_segmenter, "show": _show, "sql": _sql, "schema": _schema, "report": _report}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXERCISED))
def test_each_readme_command_works_as_documented(ws, name):
    EXERCISED[name](ws)


@pytest.mark.slow
def test_the_worked_example_runs_as_written(ws, tmp_path):
    lines = worked_example()
    assert lines and all(line[0] in ("run", "show", "schema", "report", "eval") for line in lines)
    for args in lines:
        args = [str(tmp_path / "out2") if a == "/tmp/out2" else a for a in args]
        extract(*args, cwd=ws)
    assert (ws / "out" / "report.html").is_file()
    assert (tmp_path / "out2" / "manifest.json").is_file()
