"""Bad arguments of the evaluation commands and impossible output folders: one line naming the
argument or file, exit 2 (README, exit codes), never a traceback."""
import subprocess
import sys

import pytest


def extract(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


@pytest.mark.parametrize("args, message", [
    (["eval-ner", "c.bio", "--dataset", "nope"], "unknown dataset 'nope'; expected one of: msra, pd1998, cluener, weibo, resume, literature"),
    (["eval-ner", "c.bio", "--dataset", "msra", "--backend", "nope"],
     "--backend: unknown NER backend 'nope'; expected one of: jieba, lac, none, spacy"),
    (["eval-ner", "nope.bio", "--dataset", "msra"], "nope.bio: no such file"),
    (["eval-seg", "gold.utf8", "--segmenter", "nope"], "--segmenter: unknown segmenter 'nope'; expected one of: jieba, pkuseg, char"),
    (["eval-seg", "gold.utf8", "--user-dict", "words.txt"],
     "--user-dict words.txt: line 2: frequency '智能' is not a whole number (expected `word [freq] [pos]`): '人工 智能 nz'"),
    (["eval-seg", "gold.utf8", "--user-dict", "nope.txt"], "--user-dict nope.txt: no such file"),
    (["eval-seg", "gold.utf8", "--segmenter", "pkuseg", "--model", "."], "--model .: not a pkuseg model folder (no features.msgpack)"),
    (["train", "ner", "--config", "nope.yaml", "--output", "m"], "nope.yaml: training config not found"),
    (["run", "out-is-a-file.yaml"], "{tmp}/afile: exists and is not a folder; refusing to replace it"),
], ids=["eval-ner dataset", "eval-ner backend", "eval-ner corpus", "eval-seg segmenter", "eval-seg bad dictionary",
        "eval-seg missing dictionary", "eval-seg model", "train ner config", "run output a file"])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "c.bio").write_text("张\tB-PER\n伟\tI-PER\n", encoding="utf-8")
    (tmp_path / "gold.utf8").write_text("青岛  市政府  发布  通知\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("专精特新 3000 nz\n人工 智能 nz\n", encoding="utf-8")
    (tmp_path / "in.txt").write_text("青岛市政府发布通知。", encoding="utf-8")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "out-is-a-file.yaml").write_text("stages: [layout]\ninput:\n  paths: [in.txt]\noutput:\n  dir: afile\n",
                                                 encoding="utf-8")
    proc = extract(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: " + message.format(tmp=tmp_path)
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "x" and not (tmp_path / "m").exists()


def test_eval_ner_with_a_damaged_shipped_model_is_one_line_and_exit_2(tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from pipeline.backends import spacy_ner
    from pipeline.cli import app

    root = tmp_path / "ner-zh"
    shutil.copytree(spacy_ner.default_model_path(), root, ignore=shutil.ignore_patterns("orgtype"))
    monkeypatch.setattr(spacy_ner, "default_model_path", lambda: root)
    (tmp_path / "c.bio").write_text("张\tB-PER\n伟\tI-PER\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval-ner", str(tmp_path / "c.bio"), "--dataset", "msra"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --backend spacy: {root}: the model lacks its orgtype/ part ({root}/orgtype/config.cfg not found; "
        "a model folder holds ner/ and orgtype/)"]
