"""Regenerate ``divisions.tsv`` (the administrative-divisions gazetteer) from the
NBS division tables (``provinces.csv``, ``cities.csv``, ``areas.csv``,
``streets.csv``, ``HK-MO-TW.json``; github modood/Administrative-divisions-of-China).

Usage::

    python pipeline/resources/entities/build_divisions.py [/path/to/divisions] [out.tsv]

Output columns (tab separated, UTF-8, one division per row):

``name``    full official name (青岛市, 市南区, 珠海路街道)
``short``   short form used in running text, or empty (青岛, 市南); short forms of
            county- and town-level divisions are only used by the entity stage
            when the document mentions the parent province/city (see entities/places.py)
``level``   province | city | county | town
``code``    NBS statistical code (2/4/6/9 digits), empty for HK/MO/TW
``parent``  code of the containing division (empty for provinces)
``parent_name`` name of the containing division (only for HK/MO/TW rows, which have no codes)

Placeholder rows (市辖区, 县, 省直辖县级行政区划 ...) are dropped; their children
are attached to the province.  Full names shorter than 3 characters at county
and town level (郊区, 矿区, 城区) are dropped because they are common nouns.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SRC = Path("/work/shared/datasets/divisions")
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

ETHNIC = ("蒙古族", "蒙古", "回族", "藏族", "维吾尔", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族",
          "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克", "傣族", "黎族", "傈僳族", "佤族", "畲族",
          "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜", "土族", "达斡尔族", "仫佬族", "羌族",
          "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克", "怒族", "鄂温克族",
          "保安族", "裕固族", "京族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族", "各族")

PROVINCE_SHORT = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")


def short_province(name: str) -> str:
    s = PROVINCE_SHORT.sub("", name)
    return s if s != name and len(s) >= 2 else ""


def _strip_ethnic(name: str, suffix: str) -> str:
    base = name[: -len(suffix)]
    cut = min((base.find(e) for e in ETHNIC if e in base), default=-1)
    return base[:cut] if cut > 0 else base


def short_city(name: str) -> str:
    for suf in ("自治州",):
        if name.endswith(suf):
            s = _strip_ethnic(name, suf)
            return s if len(s) >= 2 else ""
    for suf in ("地区", "盟", "市"):
        if name.endswith(suf):
            s = name[: -len(suf)]
            return s if len(s) >= 2 else ""
    return ""


def short_county(name: str) -> str:
    if "开发区" in name or "新区" in name or "园区" in name or "管理区" in name or "试验区" in name:
        return ""
    for suf in ("自治县", "自治旗"):
        if name.endswith(suf):
            s = _strip_ethnic(name, suf)
            return s if len(s) >= 2 else ""
    for suf in ("林区", "特区", "区", "县", "市", "旗"):
        if name.endswith(suf):
            s = name[: -len(suf)]
            return s if len(s) >= 2 else ""
    return ""


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def build(src: Path) -> list[tuple[str, str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str, str]] = []
    prov_name: dict[str, str] = {}
    city_name: dict[str, str] = {}
    area_name: dict[str, str] = {}
    for r in read_csv(src / "provinces.csv"):
        prov_name[r["code"]] = r["name"]
        rows.append((r["name"], short_province(r["name"]), "province", r["code"], "", ""))
    for r in read_csv(src / "cities.csv"):
        if r["name"] in PLACEHOLDERS:
            continue
        city_name[r["code"]] = r["name"]
        rows.append((r["name"], short_city(r["name"]), "city", r["code"], r["provinceCode"],
                     prov_name.get(r["provinceCode"], "")))
    for r in read_csv(src / "areas.csv"):
        name = r["name"]
        if name in PLACEHOLDERS or len(name) < 3:
            continue
        parent = r["cityCode"] if r["cityCode"] in city_name else r["provinceCode"]
        area_name[r["code"]] = name
        rows.append((name, short_county(name), "county", r["code"], parent,
                     city_name.get(parent) or prov_name.get(parent, "")))
    for r in read_csv(src / "streets.csv"):
        name = r["name"]
        if len(name) < 3 or name in PLACEHOLDERS:
            continue
        parent = r["areaCode"] if r["areaCode"] in area_name else (
            r["cityCode"] if r["cityCode"] in city_name else r["provinceCode"])
        rows.append((name, "", "town", r["code"], parent,
                     area_name.get(parent) or city_name.get(parent) or prov_name.get(parent, "")))
    hmt = json.loads((src / "HK-MO-TW.json").read_text(encoding="utf-8"))
    for prov, subs in hmt.items():
        rows.append((prov, short_province(prov), "province", "", "", ""))
        for sub, leaves in subs.items():
            if len(sub) >= 3:
                rows.append((sub, short_city(sub) if sub.endswith("市") else "", "city", "", "", prov))
            for leaf in leaves:
                if len(leaf) >= 3:
                    rows.append((leaf, "", "county", "", "", sub))
    return rows


def main(argv: list[str]) -> None:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_SRC
    out = Path(argv[2]) if len(argv) > 2 else HERE / "divisions.tsv"
    rows = build(src)
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# generated by build_divisions.py from NBS 2023 division codes "
                 "(github modood/Administrative-divisions-of-China, WTFPL); do not edit by hand\n")
        fh.write("name\tshort\tlevel\tcode\tparent\tparent_name\n")
        for r in rows:
            if r[3]:  # coded rows find their parent by code; keep the file small
                r = r[:5] + ("",)
            fh.write("\t".join(r).rstrip("\t") + "\n")
    print(f"wrote {len(rows)} divisions to {out}")


if __name__ == "__main__":
    main(sys.argv)
