"""Config validation: errors name the file, the key path and what was expected; exit code 2."""
import subprocess
import sys

import pytest

from pipeline.config import ConfigError, apply_overrides, config_reference, load_config


def test_valid_config_resolves_paths_against_its_folder(write_config, tmp_path):
    path = write_config({"input": {"paths": ["raw"]}, "output": {"dir": "out"}})
    cfg = load_config(path)
    assert cfg.output.dir == tmp_path / "out"
    assert cfg.base_dir == tmp_path
    assert cfg.stages == ["layout", "segment", "entities", "facts"]


@pytest.mark.parametrize("data, expected", [
    ({"input": {"paths": ["x"], "bogus": 1}}, "input.bogus: unknown key (allowed: paths"),
    ({"input": {"paths": ["x"]}, "run": {"workers": "many"}}, "run.workers: Input should be a valid integer"),
    ({"input": {"paths": ["x"]}, "run": {"batch_size": 0}}, "run.batch_size: Input should be greater than or equal to 1"),
    ({}, "input: required key is missing"),
    ({"input": {"paths": ["x"]}, "stages": ["layout", "teleport"]}, "stages: Value error, unknown stage 'teleport'"),
    ({"input": {"paths": ["x"]}, "segment": {"segmenter": "magic"}}, "segment.segmenter: Input should be 'jieba', 'pkuseg' or 'char'"),
    ({"input": {"paths": ["x"]}, "segment": {"user_dicts": ["nope.txt"]}}, "segment.user_dicts.0: Value error, path does not exist"),
])
def test_invalid_configs_name_file_key_and_expectation(write_config, data, expected):
    path = write_config(data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_missing_config_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_overrides_parse_yaml_values():
    data = apply_overrides({"run": {"workers": 1}}, ["run.workers=3", "segment.user_dicts=[a.txt]", "layout.mode=plain"])
    assert data == {"run": {"workers": 3}, "segment": {"user_dicts": ["a.txt"]}, "layout": {"mode": "plain"}}
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        apply_overrides({}, ["novalue"])


def test_cli_exit_code_2_and_no_output_for_invalid_config(write_config, tmp_path):
    path = write_config({"input": {"paths": ["x"]}, "output": {"dir": "out"}, "run": {"wrokers": 2}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"{path}: run.wrokers: unknown key" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_missing_input_path_is_exit_2(write_config, tmp_path):
    path = write_config({"input": {"paths": ["missing.txt"]}, "output": {"dir": "out"}, "stages": ["layout"]})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "missing.txt: no such file or directory" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_set_override_is_validated(write_config):
    path = write_config({"input": {"paths": ["x"]}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path), "--set", "run.workers=zero"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "run.workers" in proc.stderr


def test_config_reference_lists_every_section():
    ref = config_reference()
    for key in ("`input.paths`", "`layout.publication_date`", "`segment.segmenter`", "`run.workers`", "`output.dir`"):
        assert key in ref


def test_help_is_real_documentation():
    for cmd in ([], ["run"], ["eval"], ["eval-ner"], ["eval-seg"], ["show"], ["schema"], ["report"], ["train", "ner"]):
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *cmd, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0 and "Usage" in proc.stdout and len(proc.stdout) > 120, cmd


@pytest.mark.parametrize("stages, expected", [
    (["layout", "segment", "layout"], "stages: Value error, 'layout' is listed twice"),
    (["layout", "reader_of_b", "stage_b"], "stages: Value error, 'stage_b' must come before 'reader_of_b', which works on its results"),
    (["stage_b", "layout", "reader_of_b"], "stages: Value error, 'layout' must come before 'stage_b', which works on its results"),
])
def test_stages_out_of_order_or_twice_are_rejected(write_config, fake_stages, stages, expected):
    path = write_config({"input": {"paths": ["x"]}, "stages": stages})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {expected}"


def test_stages_in_order_or_without_an_earlier_stage_are_accepted(write_config, fake_stages):
    # a stage may do without the results of a stage the config does not list
    for stages in (["layout", "stage_b", "reader_of_b"], ["reader_of_b"], ["layout", "reader_of_b"]):
        assert load_config(write_config({"input": {"paths": ["x"]}, "stages": stages})).stages == stages


@pytest.mark.parametrize("stages, expected", [
    (["layout", "entities", "segment", "facts"], "'segment' must come before 'entities'"),
    (["layout", "segment", "facts", "entities"], "'entities' must come before 'facts'"),
    (["segment", "layout"], "'layout' must come before 'segment'"),
])
def test_builtin_stages_out_of_order_are_rejected(write_config, stages, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(write_config({"input": {"paths": ["x"]}, "stages": stages}))


def test_builtin_stages_without_an_earlier_one_are_accepted(write_config):
    for stages in (["layout", "segment", "entities", "facts"], ["layout", "facts"], ["segment"], ["entities"]):
        assert load_config(write_config({"input": {"paths": ["x"]}, "stages": stages})).stages == stages


@pytest.fixture
def fake_stages():
    from pydantic import BaseModel

    from pipeline import registry

    class NoSettings(BaseModel):
        pass

    class StageB:
        name, Settings, after = "stage_b", NoSettings, ("layout",)

    class ReaderOfB:
        name, Settings, after = "reader_of_b", NoSettings, ("layout", "stage_b")

    registry.register("stages", "stage_b", StageB)
    registry.register("stages", "reader_of_b", ReaderOfB)
    yield
    registry.REGISTRIES["stages"].pop("stage_b")
    registry.REGISTRIES["stages"].pop("reader_of_b")


def test_malformed_segmenter_dictionary_is_exit_2_naming_file_and_line(write_config, tmp_path):
    (tmp_path / "words.txt").write_text("专精特新 3000 nz\n人工 智能 nz\n", encoding="utf-8")
    path = write_config({"input": {"paths": ["x"]}, "segment": {"user_dicts": ["words.txt"]}})
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"error: {path}: segment.user_dicts: Value error, {tmp_path / 'words.txt'}: line 2: "
                                   "frequency '智能' is not a whole number (expected `word [freq] [pos]`): '人工 智能 nz'")
