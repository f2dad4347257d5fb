"""Accuracy measurement: the run against hand-annotated gold, NER backends and word
segmenters against the public corpora.

- :mod:`~pipeline.evaluation.extraction` — ``extract eval``: a run's entities, officials and
  facts scored against the gold annotation of ``data/gold`` (and the baseline gate);
- :mod:`~pipeline.evaluation.ner` — ``extract eval-ner``: strict span NER scores of a backend
  (or the whole entity stage) on MSRA, CLUENER, Weibo, Resume, ...;
- :mod:`~pipeline.evaluation.segmentation` — ``extract eval-seg``: word segmentation scores on
  SIGHAN-style gold files (the segmenters themselves are :mod:`pipeline.segmenters`);
- :mod:`~pipeline.evaluation.corpora` — readers of the public annotated corpora and their
  label maps;
- :mod:`~pipeline.evaluation.scoring` — the precision/recall/F1 counter they share.
"""
