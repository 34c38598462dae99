"""`train`'s flags, generated from the settings dataclasses: one flag per [data] and [training] key,
its help the field's, its default the value `settings.resolve()` gives (architecture defaults
included), so no default is typed twice."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Annotated

import typer

from ..settings import AUTO_BATCH, DataSettings, Settings, TrainingArguments, option_name, resolve

_TYPES = {"int | None": int | None, "float | None": float | None, "str | None": str | None}
SKIPPED = {"data": ("file",)}            # data.file is train's DATA argument


def generated_fields() -> list[tuple[str, dataclasses.Field]]:
    """(section, field) of every setting that is a flag of `train`."""
    return [(section.section, spec) for section in (DataSettings, TrainingArguments)
            for spec in dataclasses.fields(section) if spec.name not in SKIPPED.get(section.section, ())]


def shown_default(settings: Settings, section: str, name: str) -> str:
    """The default as `--help` shows it: what `resolve()` gave (`settings`) for the default architecture."""
    value = getattr(getattr(settings, section), name)
    if section == "training" and name == "batch_size" and value is None:
        return f"auto: {AUTO_BATCH}"
    if value == "":
        return "none"
    architecture = settings.architecture
    if section == "training" and name in architecture.training_defaults:
        return f"{value}: {architecture.name}'s"
    return str(value)


def flag_parameters() -> list[inspect.Parameter]:
    parameters, settings = [], resolve()
    for section, spec in generated_fields():
        if spec.name in {p.name for p in parameters}:
            raise RuntimeError(f"two settings would make the flag {option_name(spec.name)}")
        help_text = spec.metadata["help"] + "."
        shown = shown_default(settings, section, spec.name)
        option = typer.Option(option_name(spec.name), help=help_text, show_default=shown,
                              rich_help_panel=f"{section.capitalize()} settings (config section {section})")
        parameters.append(inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=Annotated[_TYPES[spec.type], option]))
    return parameters


def with_setting_flags(command):
    """Add the generated flags to `command`'s signature; it receives them as a `flags` layer
    ({"data": {...}, "training": {...}}, values None where a flag was not given)."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "flags"]

    def wrapper(**kwargs):
        flags = {"data": {}, "training": {}}
        for section, spec in generated_fields():
            flags[section][spec.name] = kwargs.pop(spec.name)
        return command(**kwargs, flags=flags)

    wrapper.__signature__ = signature.replace(parameters=own + flag_parameters())
    wrapper.__doc__, wrapper.__name__ = command.__doc__, command.__name__
    return wrapper

