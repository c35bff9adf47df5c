"""Building the connector's deferred pydantic models before any thread uses them.

The mapping records and the config sections are declared with ``defer_build=True``: a model's
validator is built when first used, which keeps `connector check` quick. Building on first use is
not safe when several threads use a model for the first time at once: with pydantic before 2.14,
one thread's rebuild briefly leaves the subclass without its own validator, and another thread
then validates with the *base* class's validator (every field "extra", e.g. ``8 validation errors
for _Record``). A fleet runs companies in threads, and every company loads its mappings at its
start, so the fleet (and the daemon) call `build_deferred_models` once, in the main thread,
before the first worker starts. pyproject also requires pydantic 2.14, whose rebuild holds a lock;
this module keeps the threads safe whatever build of pydantic a machine has.
"""

from __future__ import annotations

from pydantic import BaseModel


def _subclasses(base: type[BaseModel]) -> list[type[BaseModel]]:
    found, todo = [], [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found


def build_deferred_models(package: str = "connector") -> int:
    """Builds every not yet built model of ``package`` that is imported; returns how many.

    Call it in the main thread after importing the modules whose models the threads will use.
    A model that cannot be built (an undefined annotation) is left for pydantic to report where
    it is used.
    """
    built = 0
    for model in _subclasses(BaseModel):
        if not model.__module__.startswith(package + "."):
            continue
        if model.__dict__.get("__pydantic_complete__", False):
            continue
        if model.model_rebuild(raise_errors=False):
            built += 1
    return built
