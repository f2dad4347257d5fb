"""zh-extract: Chinese news and government text to typed, queryable tables.

Library API (the ``extract`` command is a thin layer over it)::

    import pipeline
    summary = pipeline.run("configs/default.yaml")          # whole run -> Parquet tables
    result = pipeline.extract("青岛市政府……", date="2024-04-28")  # one string -> records
    result.entities_df()                                      # as pandas DataFrames
"""
__version__ = "0.1.0"


def __getattr__(name):  # keep ``import pipeline`` light: heavy modules load on first use
    if name in ("run", "RunSummary"):
        from . import runner

        return getattr(runner, name)
    if name in ("load_config", "ConfigError"):
        from . import config

        return getattr(config, name)
    if name in ("extract", "Extractor", "Result"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
