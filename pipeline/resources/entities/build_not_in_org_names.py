"""Build ``not_in_org_names.txt``: function and verb words that never occur inside an organisation name.

A suffix organisation (``…银行``, ``…政府``) is read back from its suffix to an anchor; a span that
crosses one of these words (``签署``, ``通知``, ``早日``, ``一些``) is a clause, not a name
(``中国银监会已通知国内银行``).  The list: two- to four-character words of jieba's dictionary
with frequency >= 50 (four-character phrases such as ``切实加强``: >= 3) and a verb, adverb, pronoun, numeral, preposition, conjunction, particle,
time, direction or idiom tag, that occur inside fewer than two distinct organisation names of
the MSRA, CLUENER, Weibo and Resume training sets, ``known_names.tsv`` and the company short
names and brand words of ../shared/datasets/lexicons (so that ``发展``, ``管理``, ``代表``,
``促进``, ``远航`` stay allowed) and are no name of ``known_names.tsv`` or
``divisions.tsv`` (``即墨``).  One ``word<TAB>tag`` per line.  Rebuild (needs ../shared/datasets)::

    .venv/bin/python pipeline/resources/entities/build_not_in_org_names.py
"""
from __future__ import annotations

import collections
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"
POS = {"v", "d", "p", "c", "u", "r", "m", "q", "t", "f", "ad", "vd", "y", "e", "o", "z", "l", "i"}
SETS = (("msra", "msra/train.bio"), ("cluener", "cluener/train.json"),
        ("weibo", "weibo/weiboNER_2nd_conll.train"), ("resume", "resume/train.char.bmes"))


def main() -> None:
    from pipeline.evaluation import corpora
    from pipeline.segmenters import jieba_dictionary

    orgs = set()
    for name, rel in SETS:
        for sent in corpora.load_mapped(name, DATASETS / rel):
            orgs.update(sent.text[a:b] for a, b, label in sent.spans if label in ("ORG", "COMPANY", "GOV"))
    for lexicon in ("company_short_names.txt", "companyparser_brand.txt"):
        with open(DATASETS / "lexicons" / lexicon, encoding="utf-8-sig") as fh:
            orgs.update(w for w in (line.strip() for line in fh) if len(w) >= 2)
    with open(HERE / "known_names.tsv", encoding="utf-8") as fh:
        known = {line.split("\t")[0] for line in fh if not line.startswith("#")}
    orgs |= known
    with open(HERE / "divisions.tsv", encoding="utf-8") as fh:
        names = known | {col for line in fh for col in line.rstrip("\n").split("\t")[:2] if col}
    inside = collections.Counter()
    for org in orgs:
        inside.update({org[k:k + n] for n in (2, 3, 4) for k in range(len(org) - n + 1)})
    words = {}
    for word, freq, pos in jieba_dictionary():
        if 2 <= len(word) <= 4 and freq >= (50 if len(word) < 4 else 3) and pos in POS and inside[word] < 2 \
                and word not in names:
            words[word] = pos
    head = (f"# Words never inside an organisation name ({len(words)}); built by "
            f"build_not_in_org_names.py from jieba's dictionary and {len(orgs)} organisation names.\n")
    (HERE / "not_in_org_names.txt").write_text(head + "\n".join(f"{w}\t{words[w]}" for w in sorted(words)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
