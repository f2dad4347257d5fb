"""The gold scorer on small hand-made cases with known answers, gold loading checks, and the gate."""
import json
import subprocess
import sys

import pytest

from pipeline.evaluation.extraction import (GoldError, compare_baseline, load_gold, score_entities, score_facts,
                               score_officials)

from conftest import GOLD_DIR, REPO


def ent(s, e, label, text="x"):
    return {"start": s, "end": e, "label": label, "text": text}


def test_entities_exact_partial_wrong_label_duplicates_empty():
    gold = [ent(0, 3, "PLACE"), ent(5, 9, "GOV"), ent(10, 12, "PERSON")]
    pred = [ent(0, 3, "PLACE"), ent(0, 3, "PLACE"),  # exact, duplicated: counted once
            ent(5, 8, "GOV"),  # partial overlap: a miss and a false positive
            ent(10, 12, "ORG")]  # wrong label: a miss and a false positive
    s = score_entities(gold, pred)
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (1, 2, 2)
    assert s.per_label["PLACE"].f1 == 1.0
    assert s.per_label["GOV"].precision == 0.0 and s.per_label["GOV"].recall == 0.0
    assert s.per_label["ORG"].fp == 1 and s.per_label["PERSON"].fn == 1
    assert round(s.micro.f1, 4) == round(2 * (1 / 3) * (1 / 3) / (2 / 3), 4)
    empty = score_entities([], [])
    # nothing to find and nothing found: perfect by convention (no division by zero)
    assert empty.micro.f1 == 1.0 and empty.micro.precision == 1.0 and empty.micro.recall == 1.0
    assert score_entities(gold, []).micro.recall == 0.0
    assert score_entities([], pred).micro.precision == 0.0


def test_coarse_entity_score_counts_any_organisation_type_as_org():
    gold = [ent(0, 4, "COMPANY"), ent(5, 9, "GOV"), ent(10, 12, "PERSON"), ent(13, 15, "PLACE")]
    pred = [ent(0, 4, "ORG"),      # org type wrong: a miss in the 5-label view, a hit coarse
            ent(5, 9, "GOV"),
            ent(10, 12, "ORG"),    # wrong coarse label too
            ent(13, 15, "PLACE"), ent(13, 15, "PLACE")]
    s = score_entities(gold, pred)
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (2, 2, 2)
    assert (s.coarse.tp, s.coarse.fp, s.coarse.fn) == (3, 1, 1)


def test_officials_pairs_whitespace_and_containment():
    gold = [{"person": "王凯", "titles": ["青岛日报/观海新闻记者"]},
            {"person": "程守田", "titles": ["省委宣传部副部长", "省电影局局长"]}]
    pred = [{"person": "王 凯", "titles": ["观海新闻记者"]},  # contained title, padded name
            {"person": "程守田", "titles": ["省委宣传部副部长", "省委宣传部副部长"]},  # duplicate
            {"person": "张三", "titles": ["局长"]}]
    s = score_officials(gold, pred)
    assert (s.prf.tp, s.prf.fp, s.prf.fn) == (2, 1, 1)
    assert s.false_negatives == [("程守田", "省电影局局长")]
    assert score_officials([], []).prf.f1 == 1.0


def fact(s, e, value, unit="家", kind="count", bound="exact", **kw):
    return {"start": s, "end": e, "text": "x", "value": value, "unit": unit, "kind": kind, "bound": bound, **kw}


def test_facts_overlap_and_equal_fields_then_attribute_accuracy():
    gold = [fact(0, 5, 6835, subject="专精特新中小企业", entity="青岛", time=None),
            fact(10, 16, 1.7e10, unit="元", kind="money", bound="approx", subject="采购规模", entity="海信集团", time="2023年"),
            fact(20, 23, 35, unit="%", kind="percent", bound="lower", subject="全球市场占有率")]
    pred = [fact(1, 5, 6835, subject="中小企业", entity="青岛", time=None),  # overlap, subject contained
            fact(1, 5, 6835),  # duplicate: a false positive
            fact(10, 16, 1.7e10 * (1 + 1e-9), unit="元", kind="money", bound="approx", subject="规模",
                 entity="海信", time="2023年"),  # value within 1e-6; wrong entity
            fact(20, 23, 35, unit="%", kind="percent", bound="exact")]  # wrong bound: no match
    s = score_facts(gold, pred)
    assert (s.prf.tp, s.prf.fp, s.prf.fn) == (2, 2, 1)
    assert s.accuracy(s.subject) == 1.0  # 中小企业 in 专精特新中小企业; 规模 in 采购规模
    assert s.accuracy(s.entity) == 0.5
    assert s.accuracy(s.time) == 1.0
    assert score_facts([], []).prf.f1 == 1.0


def test_gold_loading_checks_hash_and_spans(tmp_path):
    gold = load_gold(GOLD_DIR / "000_5072bf7ae566881d.gold.json")
    assert len(gold.entities) == 224 and len(gold.officials) == 20 and len(gold.facts) == 82
    data = json.loads((GOLD_DIR / "000_5072bf7ae566881d.gold.json").read_text(encoding="utf-8"))
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / data["source"]).write_bytes(gold.source_path.read_bytes())
    data["entities"][3]["text"] = "周晓"
    bad = tmp_path / "gold" / "x.gold.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GoldError, match=r"x.gold.json: entities\[3\] text '周晓'"):
        load_gold(bad)
    data["text_sha256"] = "0" * 64
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GoldError, match="does not match"):
        load_gold(bad)


def test_compare_baseline_flags_drops_beyond_tolerance():
    base = {"facts.f1": 0.95, "entities.micro.f1": 0.90, "officials.f1": 1.0}
    assert compare_baseline({"facts.f1": 0.946, "entities.micro.f1": 0.91, "officials.f1": 1.0}, base) == []
    regressions = compare_baseline({"facts.f1": 0.90, "entities.micro.f1": 0.91}, base)
    assert regressions == ["facts.f1: 0.9000 < baseline 0.9500 - 0.005", "officials.f1: missing (baseline 1.0000)"]


def test_gate_fails_when_a_deliberately_broken_stage_lowers_a_score(tmp_path):
    """A facts stage configured to drop every kind but count (a broken stage for this page)
    makes `extract eval --baseline` exit 1 and name the metrics that fell."""
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "eval", str(REPO / "configs" / "default.yaml"),
         "--gold", str(GOLD_DIR), "--baseline", str(REPO / "configs" / "accuracy-baseline.json"),
         "--set", "facts.kinds=[count]", "--set", "entities.backend=none"],
        capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "accuracy regression" in proc.stderr and "facts.recall" in proc.stderr
