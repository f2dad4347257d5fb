"""Entity stage: organisations, government bodies, places and people, plus officials.

=================  ==========================================================================
file               what
=================  ==========================================================================
``stage.py``       :class:`EntityStage` and its settings, :func:`extract_entities`,
                   :func:`entity_id`, :func:`merge_entity_tokens`
``gazetteers.py``  the word lists: ``rules.yaml``, surnames, divisions, known names, user
                   gazetteers and patterns (:func:`load_resources`), jieba's common words
``rules.py``       the rule engine :class:`Extractor`: gazetteer matches, suffix organisations,
                   addresses, names after cues, enumerations
``merge.py``       :class:`Cand`, :func:`resolve` (longest span wins), guideline exclusions,
                   the merge of model spans
``linking.py``     short forms of companies and repeats of names in the same document
``places.py``      division context, :meth:`~Places.parse_place`, province/city/county/adcode
``officials.py``   people given a position (:class:`~officials.OfficialFinder`) and their records
``bylines.py``     reporters and outlets of bylines in a plain text
``chars.py``       label names and character helpers
=================  ==========================================================================
"""
from .gazetteers import Resources, common_words, default_resources, load_resources
from .merge import Cand, resolve
from .rules import Extractor
from .stage import EntityStage, entity_id, extract_entities, merge_entity_tokens

__all__ = ["Cand", "EntityStage", "Extractor", "Resources", "common_words", "default_resources", "entity_id",
           "extract_entities", "load_resources", "merge_entity_tokens", "resolve"]
