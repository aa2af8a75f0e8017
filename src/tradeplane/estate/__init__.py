"""The estate: one typed, validated, immutable model of what the firm runs.

Public face: ``load`` (a directory of YAML files -> ``Estate``), ``load_yaml_model``
(any YAML config file -> a pydantic model, through the same loader and limits), the model
classes, the ``catalog`` of places, market ``hours``, ``to_yaml``/``json_schema`` and ``summarise``.
"""

from tradeplane.estate import catalog, hours
from tradeplane.estate.dump import json_schema, to_data, to_yaml
from tradeplane.estate.load import estate_files, load, load_text, load_yaml_model
from tradeplane.estate.model import *  # noqa: F403 - the model classes are the public face
from tradeplane.estate.model import __all__ as _model_all
from tradeplane.estate.summary import Summary, summarise

__all__ = [
    "Summary",
    "catalog",
    "hours",
    "estate_files",
    "json_schema",
    "load",
    "load_text",
    "load_yaml_model",
    "summarise",
    "to_data",
    "to_yaml",
    *_model_all,
]
