"""Settings: the sections as dataclasses, one `resolve()` that combines every source, TOML in and out."""

from .resolve import DEFAULT_MODEL, SECTIONS, Settings, architecture_defaults, resolve, valid_keys
from .sections import AUTO_BATCH, DataSettings, TrainingArguments, auto_batch_size, check_type, defaults_of, help_of, option_name
from .toml import parse_overrides, read_toml, to_toml

__all__ = ["AUTO_BATCH", "DEFAULT_MODEL", "SECTIONS", "DataSettings", "Settings", "TrainingArguments",
           "architecture_defaults", "auto_batch_size", "check_type", "defaults_of", "help_of", "option_name",
           "parse_overrides", "read_toml", "resolve", "to_toml", "valid_keys"]
