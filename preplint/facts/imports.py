"""What a file's names stand for: its imports, qualified and canonical (`np` → `numpy`)."""

from __future__ import annotations

import libcst as cst

from preplint.facts.frameworks import canonical
from preplint.facts.nodes import dotted_name


class ImportTable:
    """The imports of one file, filled statement by statement as the walk meets them."""

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self.names: dict[str, str] = {}  # local name -> qualified name; `*base` for star imports
        self.relative: set[str] = set()
        self.tf_keras = False  # imports Keras 2 by name: canonical() maps `tf_keras` to `keras`

    def qualify(self, dotted: str) -> str:
        """The canonical qualified name of `dotted` through the imports, '' if not imported."""
        if not dotted:
            return ""
        root, _, rest = dotted.partition(".")
        qual = self.names.get(root)
        if qual is None:
            return ""
        return canonical(f"{qual}.{rest}" if rest else qual)

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full.split(".", 1)[0] == "tf_keras":
                self.tf_keras = True
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.names[alias.asname.name.value] = canonical(full)
            else:
                root = full.split(".", 1)[0]
                self.names.setdefault(root, root)
                # `import tensorflow.keras` lets `tensorflow.keras.x` resolve through the root.

    def add_import_from(self, node: cst.ImportFrom) -> None:
        base = dotted_name(node.module) if node.module is not None else ""
        if not node.relative and base.split(".", 1)[0] == "tf_keras":
            self.tf_keras = True
        if len(node.relative) == 1 and not isinstance(node.names, cst.ImportStar):
            # Modules beside this file: `from .config import X` → config, `from . import layers` → layers.
            if base:
                self.relative.add(base)
            else:
                self.relative.update(dotted_name(alias.name) for alias in node.names)
        if node.relative:
            # `from .config import X` names a sibling module: keep its own name.
            base = base or self.module_name.rpartition(".")[0]
        if isinstance(node.names, cst.ImportStar):
            self.names.setdefault(f"*{base}", base)
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.names[local] = canonical(f"{base}.{name}" if base else name)
