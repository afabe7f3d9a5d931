"""What a model was built to take: the sources of its input dtype."""

from __future__ import annotations

from dataclasses import dataclass

from preplint.analysis.artifacts import savers
from preplint.analysis.models import ModelOrigin, model_origin
from preplint.analysis.records import ArrayInfo, ModelFeed
from preplint.facts.model import FileFacts
from preplint.facts.project import ProjectIndex


@dataclass(frozen=True)
class Source:
    """A file where the model was trained, and the model as bound where it is saved (or fed)."""

    owner: FileFacts
    model: ModelOrigin | None  # None when the saved expression cannot be followed


def model_sources(
    facts: FileFacts, feed: ModelFeed, index: ProjectIndex
) -> tuple[ModelOrigin | None, list[Source]]:
    """The model's origin and where it was trained: this file, or the savers of its artifact.

    A load that follows a save of the same artifact in the same function reads that save (a
    test saving and reloading its own model), not the other savers of the same file name.
    """
    if not feed.model:
        return None, []
    origin = model_origin(facts, feed.model, feed.scope, feed.stmt, index)
    if origin is None:
        return None, []
    if origin.artifact:
        events = savers(index, origin.artifact, near=facts.path)
        load = facts.call_by_id.get(origin.load_call)
        if load is not None:
            local = [
                e
                for e in events
                if e.file == facts.path
                and facts.call_by_id[e.call].scope == load.scope
                and facts.call_by_id[e.call].stmt < load.stmt
            ]
            if local:
                events = [max(local, key=lambda e: facts.call_by_id[e.call].stmt)]
        out: list[Source] = []
        for event in events:
            owner = index.file(event.file)
            if owner is None:
                continue
            name = event.obj.split(".state_dict")[0].split("(")[0]
            save = owner.call_by_id[event.call]
            saved = model_origin(owner, name, save.scope, save.stmt, index) if name else None
            out.append(Source(owner, saved))
        return origin, out
    if origin.load_call >= 0:
        return origin, []
    return origin, [Source(facts, origin)]


def is_float64_tensor(info: ArrayInfo) -> bool:
    return info.lib == "torch" and info.dtype == "float64" and info.tensor_from >= 0
