"""The explicit pyarrow schema of every output table, in one place."""
from __future__ import annotations

import pyarrow as pa

_str = pa.string()
_i64 = pa.int64()
_f64 = pa.float64()
_date = pa.date32()

SCHEMAS: dict[str, pa.Schema] = {
    "documents": pa.schema([
        ("doc_id", _str), ("source", _str), ("record", _str), ("article_index", pa.int32()),
        ("pre_title", _str), ("title", _str), ("subtitle", _str), ("byline", _str),
        ("reporters", pa.list_(_str)), ("date", _date), ("text", _str), ("body_start", _i64),
        ("source_start", _i64), ("source_end", _i64), ("status", _str), ("error", _str),
    ]),
    "sentences": pa.schema([
        ("doc_id", _str), ("source", _str), ("sentence_index", pa.int32()),
        ("start", _i64), ("end", _i64), ("text", _str),
    ]),
    "tokens": pa.schema([
        ("doc_id", _str), ("source", _str), ("sentence_index", pa.int32()), ("token_index", pa.int32()),
        ("start", _i64), ("end", _i64), ("text", _str),
    ]),
    "entities": pa.schema([
        ("entity_id", _str), ("doc_id", _str), ("source", _str), ("start", _i64), ("end", _i64),
        ("text", _str), ("label", _str), ("method", _str), ("canonical", _str),
        ("province", _str), ("city", _str), ("county", _str), ("adcode", _str), ("entity_key", _str),
    ]),
    "officials": pa.schema([
        ("doc_id", _str), ("source", _str), ("person", _str), ("start", _i64), ("end", _i64),
        ("titles", pa.list_(_str)), ("orgs", pa.list_(_str)),
    ]),
    "facts": pa.schema([
        ("doc_id", _str), ("source", _str), ("start", _i64), ("end", _i64), ("text", _str),
        ("value", _f64), ("unit", _str), ("kind", _str), ("bound", _str),
        ("value_low", _f64), ("value_high", _f64), ("base_value", _f64), ("base_unit", _str),
        ("subject", _str), ("entity", _str), ("entity_id", _str), ("time", _str),
        ("time_start", _date), ("time_end", _date), ("place", _str), ("sentence", _str),
    ]),
    "errors": pa.schema([
        ("source", _str), ("doc_id", _str), ("stage", _str), ("error_type", _str), ("message", _str),
    ]),
    "entity_index": pa.schema([
        ("entity_key", _str), ("canonical", _str), ("label", _str), ("province", _str), ("city", _str),
        ("county", _str), ("adcode", _str), ("mentions", _i64), ("documents", _i64),
        ("first_date", _date), ("last_date", _date),
    ]),
}

# tables of rows per document, which every run writes (tokens only when segment.tokens is on)
TABLES = ["documents", "sentences", "tokens", "entities", "officials", "facts", "errors"]
# tables about the whole run, built from the rows above once every document is done
CORPUS_TABLES = ["entity_index"]

DESCRIPTIONS = {
    "documents": "one row per input document (article of a page, or record), processed or failed",
    "sentences": "sentences with source offsets; text is the repaired reading",
    "tokens": "words (segment.tokens: true) with source offsets",
    "entities": "named entities: COMPANY, GOV, ORG, PLACE, PERSON, with canonical name and division codes",
    "officials": "people with stated posts (titles as written, organisations parsed from them)",
    "facts": "numeric facts: value, unit, kind, bound, subject, entity, time, place",
    "errors": "every problem met, with the file and stage",
    "entity_index": "one row per distinct entity of the run (label, canonical name, division code), with its "
                    "number of mentions and documents and the first and last document date; "
                    "`entities.entity_key` links each mention to it",
}
