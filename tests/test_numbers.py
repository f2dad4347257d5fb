"""The number grammar: parse_number and scan_quantities."""
from __future__ import annotations

import math
from decimal import Decimal

import cn2an
import pytest
from hypothesis import given, settings, strategies as st

from pipeline.numbers import Catalogue, merge_catalogues, parse_number, scan_quantities


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("1906", 1906), ("1,234.5", 1234.5), ("12,345,678", 12345678), ("0.3", 0.3),
    ("１２３", 123), ("４６４．０９", 464.09),
    ("一千零七十七", 1077), ("两万", 20000), ("十九", 19), ("十", 10), ("三点五", 3.5), ("零", 0),
    ("千", 1000), ("百万", 1_000_000), ("万", 10_000), ("一万亿", 10 ** 12), ("两千三百万", 23_000_000),
    ("1.2万", 12000), ("464.09万", 4640900), ("2万亿", 2 * 10 ** 12), ("3千万", 3 * 10 ** 7), ("60亿", 6e9),
])
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "万元", "1万x", "点", "1,23"])
def test_parse_number_rejects(text):
    assert parse_number(text) is None


def one(text):
    qs = [q for q in scan_quantities(text) if q.form not in ("time", "none", "ordinal")]
    assert len(qs) == 1, qs
    return qs[0]


@pytest.mark.parametrize("text,mention,value,unit,kind,bound", [
    ("采购规模约170亿元。", "约170亿元", 1.7e10, "元", "money", "approx"),
    ("占有率35%以上", "35%以上", 35, "%", "percent", "lower"),
    ("供应商达400多家", "400多家", 400, "家", "count", "lower"),
    ("展开200余个项目", "200余个", 200, "个", "count", "lower"),
    ("影视企业超千家，", "超千家", 1000, "家", "count", "lower"),
    ("电影票房总产出超311亿元", "超311亿元", 3.11e10, "元", "money", "lower"),
    ("共达成交易60余亿元", "60余亿元", 6e9, "元", "money", "lower"),
    ("九成专精特新企业", "九成", 90, "%", "percent", "exact"),
    ("464.09万平方米展览总面积", "464.09万平方米", 4640900, "平方米", "area", "exact"),
    ("总占地面积32平方公里", "32平方公里", 32, "平方公里", "area", "exact"),
    ("长约35米", "约35米", 35, "米", "length", "approx"),
    ("增加3个百分点", "3个百分点", 3, "个百分点", "percent", "exact"),
    ("吸引观众68万人次", "68万人次", 680000, "人次", "count", "exact"),
    ("约5千克", "约5千克", 5, "千克", "weight", "approx"),
    ("重20吨左右", "20吨左右", 20, "吨", "weight", "approx"),
    ("近百家企业", "近百家", 100, "家", "count", "upper"),
    ("不足50人", "不足50人", 50, "人", "count", "upper"),
    ("至少3场", "至少3场", 3, "场", "count", "lower"),
    ("不少于10项", "不少于10项", 10, "项", "count", "lower"),
    ("逾2万人", "逾2万人", 20000, "人", "count", "lower"),
    ("两万多人参加", "两万多人", 20000, "人", "count", "lower"),
    ("百分之三十五的企业", "百分之三十五", 35, "%", "percent", "exact"),
    ("１２家企业", "１２家", 12, "家", "count", "exact"),
    ("1,234.5万元", "1,234.5万元", 12345000, "元", "money", "exact"),
    ("上千家企业", "上千家", 1000, "家", "count", "lower"),
    ("六大工程", "六大", 6, None, "count", "exact"),
    ("排名第六位。", "第六位", 6, None, "rank", "exact"),
    ("第一大贸易伙伴", "第一大", 1, None, "rank", "exact"),
    ("位居全国第六", "第六", 6, None, "rank", "exact"),
    ("位列前五。", "前五", 5, None, "rank", "upper"),
    ("前10名企业", "前10名", 10, None, "rank", "upper"),
])
def test_mentions(text, mention, value, unit, kind, bound):
    q = one(text)
    assert (q.text, q.unit, q.kind, q.bound) == (mention, unit, kind, bound)
    assert q.value == pytest.approx(value)
    assert text[q.start:q.end] == q.text


@pytest.mark.parametrize("text,low,high,unit", [
    ("10至20家", 10, 20, "家"), ("3-5个", 3, 5, "个"), ("三到五个", 3, 5, "个"), ("1.5~2万元", 15000, 20000, "元"),
])
def test_ranges(text, low, high, unit):
    q = one(text)
    assert (q.value, q.value_low, q.value_high, q.unit, q.bound) == (low, low, high, unit, "range")
    assert q.is_range and q.text == text


def test_range_with_qualifier_stays_a_range():
    q = one("约10至20家")
    assert q.text == "约10至20家" and q.bound == "range" and q.value_low == 10 and q.value_high == 20


def test_bounds_fill_low_high():
    assert (one("400多家").value_low, one("400多家").value_high) == (400, None)
    assert (one("近40家").value_low, one("近40家").value_high) == (None, 40)
    assert (one("40家").value_low, one("40家").value_high) == (40, 40)
    assert (one("约40家").value_low, one("约40家").value_high) == (None, None)


@pytest.mark.parametrize("text,base_value,base_unit", [
    ("32平方公里", 32e6, "平方米"), ("5公里", 5000, "米"), ("3吨", 3000, "千克"), ("170亿元", 1.7e10, "元"),
    ("20美元", 20, "美元"), ("10公顷", 1e5, "平方米"), ("7家", 7, "家"),
])
def test_base_units(text, base_value, base_unit):
    q = one(text)
    assert q.base_unit == base_unit and q.base_value == pytest.approx(base_value)


@pytest.mark.parametrize("text", ["2024年", "4月28日", "8时至20时", "3天内", "未来三年", "三个月", "前三季度",
                                  "24小时", "2024年—2026年"])
def test_time_numbers_are_not_quantities(text):
    assert all(q.form in ("time", "none", "ordinal") for q in scan_quantities(text))


def test_identifier_ordinal_is_flagged():
    qs = scan_quantities("第十九批交办")
    assert [q.form for q in qs] == ["ordinal"]


def test_user_catalogue_merges(tmp_path):
    extra = tmp_path / "my_units.yaml"
    extra.write_text("units:\n  标箱: {kind: count}\n  家: null\nmultipliers:\n  兆: 1000000000000\n",
                     encoding="utf-8")
    cat = Catalogue.load([extra])
    assert "标箱" in cat.units and "家" not in cat.units and "个" in cat.units
    q = [q for q in scan_quantities("吞吐量300万标箱", cat) if q.form == "unit"][0]
    assert q.value == 3e6 and q.unit == "标箱"
    assert merge_catalogues({"a": [1], "b": {"x": 1}}, {"a": [2], "b": {"y": 2}}) == {"a": [1, 2], "b": {"x": 1, "y": 2}}


def test_bad_kind_rejected():
    with pytest.raises(ValueError):
        Catalogue({"units": {"x": {"kind": "volume"}}})


# ---------------------------------------------------------------- properties

@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=10 ** 12))
def test_every_chinese_integer_parses_back(n):
    assert parse_number(cn2an.an2cn(n)) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10 ** 12))
def test_every_chinese_integer_with_two_parses_back(n):
    written = cn2an.an2cn(n)
    # 两 for 二 before a magnitude (两万, 两千): the common written form
    alt = written.replace("二千", "两千").replace("二万", "两万").replace("二亿", "两亿")
    assert parse_number(alt) == n


@settings(max_examples=400, deadline=None)
@given(st.decimals(min_value=0, max_value=10 ** 6, places=2, allow_nan=False, allow_infinity=False),
       st.sampled_from([("万", 10 ** 4), ("亿", 10 ** 8), ("万亿", 10 ** 12), ("", 1)]))
def test_every_arabic_decimal_with_multiplier_parses_back(d, mult):
    word, factor = mult
    written = f"{d:f}{word}"
    expected = float(Decimal(f"{d:f}") * factor)
    assert math.isclose(parse_number(written), expected, rel_tol=1e-12, abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1000, max_value=10 ** 12))
def test_thousands_separators_parse_back(n):
    assert parse_number(f"{n:,}") == n


# ---------------------------------------------------------------- forms of the guidelines' decisions

@pytest.mark.parametrize("text,mention,low,high,unit,kind", [
    ("涨幅保持在3%—6%之间", "3%—6%", 3, 6, "%", "percent"),
    ("比例为25％至30％。", "25％至30％", 25, 30, "%", "percent"),
    ("夜间零下8摄氏度至零下2摄氏度。", "零下8摄氏度至零下2摄氏度", -8, -2, "摄氏度", "other"),
    ("山顶气温在零下二三十摄氏度。", "零下二三十摄氏度", -30, -20, "摄氏度", "other"),
    ("小店只摆了四五桌。", "四五桌", 4, 5, "桌", "count"),
    ("来了两三个朋友。", "两三个", 2, 3, "个", "count"),
    ("买了一两本书。", "一两本", 1, 2, "本", "count"),
    ("三四十名队员参加。", "三四十名", 30, 40, "名", "count"),
    ("十七八岁的学生", "十七八岁", 17, 18, "岁", "other"),
])
def test_range_forms(text, mention, low, high, unit, kind):
    q = one(text)
    assert (q.text, q.value, q.value_high, q.unit, q.kind, q.bound) == (mention, low, high, unit, kind, "range")


@pytest.mark.parametrize("text,mention,value,unit,bound", [
    ("数百名志愿者", "数百名", 100, "名", "lower"),
    ("几十栋楼房", "几十栋", 10, "栋", "lower"),
    ("数十座桥梁", "数十座", 10, "座", "lower"),
    ("数万名观众", "数万名", 10000, "名", "lower"),
    ("上万头牛羊", "上万头", 10000, "头", "lower"),
    ("近千人到场", "近千人", 1000, "人", "upper"),
    ("几十万元", "几十万元", 100000, "元", "lower"),
    ("惠及数千万学生", "数千万", 1e7, None, "lower"),
])
def test_vague_numbers_take_their_magnitude(text, mention, value, unit, bound):
    q = scan_quantities(text)[0]
    assert (q.text, q.value, q.unit, q.bound) == (mention, value, unit, bound)


@pytest.mark.parametrize("text,mention,value,unit,kind,bound", [
    ("气温降到零下12摄氏度。", "零下12摄氏度", -12, "摄氏度", "other", "exact"),
    ("水温约升高0.5摄氏度。", "约升高0.5摄氏度", 0.5, "摄氏度", "other", "approx"),
    ("队伍里有一半是新人。", "一半", 50, "%", "percent", "exact"),
    ("产量是去年的三倍。", "三倍", 3, "倍", "other", "exact"),
    ("老人今年82岁。", "82岁", 82, "岁", "other", "exact"),
    ("他连射3枪。", "3枪", 3, "枪", "count", "exact"),
    ("谈判进行了5轮。", "5轮", 5, "轮", "count", "exact"),
    ("他跑了两趟。", "两趟", 2, "趟", "count", "exact"),
    ("仓库约有30万箱货物。", "约有30万箱", 300000, "箱", "count", "approx"),
    ("现场大约有800名观众。", "大约有800名", 800, "名", "count", "approx"),
    ("球队至少要打三场比赛。", "至少要打三场", 3, "场", "count", "lower"),
    ("票价约合20元。", "约合20元", 20, "元", "money", "approx"),
    ("投资人民币300万元。", "人民币300万元", 3e6, "元", "money", "exact"),
    ("门票500泰铢。", "500泰铢", 500, "泰铢", "money", "exact"),
    ("售价80林吉特。", "80林吉特", 80, "林吉特", "money", "exact"),
    ("增长12％。", "12％", 12, "%", "percent", "exact"),
    ("花费2万多亿元。", "2万多亿元", 2e12, "元", "money", "lower"),
    ("共有3.5亿用户", "3.5亿", 3.5e8, None, "count", "exact"),
    ("运送物资120批次。", "120批次", 120, "批次", "count", "exact"),
    ("损失数百万或上千万元", "数百万", 1e6, "元", "money", "lower"),
])
def test_decision_forms(text, mention, value, unit, kind, bound):
    q = scan_quantities(text)[0]
    assert (q.text, q.unit, q.kind, q.bound) == (mention, unit, kind, bound)
    assert q.value == pytest.approx(value)


@pytest.mark.parametrize("text", ["人均收入", "六部门联合", "两位数增长", "另一半"])
def test_unit_that_starts_a_word_is_no_classifier(text):
    assert all(q.unit is None for q in scan_quantities(text))


@pytest.mark.parametrize("yaml_text, problem", [
    ("unit:\n  桶: {kind: count}\n",
     "unknown key 'unit' (allowed: multipliers, units, time_units, rank_units, currency_prefix, qualifiers)"),
    ("units:\n  桶: {kind: count, nuon: true}\n",
     "units.桶: unknown key 'nuon' (allowed: kind, base, factor, written, not_before, noun)"),
    ("units:\n  桶: {kind: mony}\n", "units.桶.kind: 'mony' is not one of count, money, area, length, weight, percent, rank, other"),
    ("units:\n  桶: count\n", "units.桶: must be a mapping (kind, base, factor ...)"),
    ("units: [桶]\n", "units: must be a mapping"),
    ("qualifiers:\n  prefx: {约: approx}\n",
     "qualifiers: unknown key 'prefx' (allowed: prefix, suffix, magnitude_prefix, verb_gap, gap_verbs)"),
    ("qualifiers:\n  prefix: {约: aprox}\n", "qualifiers.prefix.约: 'aprox' is not one of approx, lower, upper"),
    ("time_units: 周\n", "time_units: must be a list"),
    ("- 桶\n", "a unit catalogue must be a mapping"),
    ("units: {桶: [\n", "cannot read the unit catalogue"),
])
def test_a_catalogue_file_with_keys_it_would_ignore_is_refused(tmp_path, yaml_text, problem):
    path = tmp_path / "units.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ValueError) as err:
        Catalogue.load([path])
    assert str(err.value).startswith(f"{path}: {problem}")


def test_a_catalogue_entry_may_amend_a_shipped_unit_without_repeating_its_kind(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text("units:\n  元: {not_before: [宵]}\nqualifiers:\n  suffix: {多: null}\n", encoding="utf-8")
    cat = Catalogue.load([path])
    assert cat.units["元"]["kind"] == "money" and cat.units["元"]["not_before"][-1] == "宵"
    assert "多" not in cat.suffix
