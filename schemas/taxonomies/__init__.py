"""Bundled taxonomies: the common language a CX team writes by hand (format: ``docs/nlp.md``).

``acme-retail.yaml`` is the demo company's default; ``airline.yaml`` is an example written from the
complaint reasons of the airline tweets used for evaluation. Copy one, edit it, and pass it with
``--taxonomy FILE``; ``voc taxonomy check FILE`` reports every mistake with its line.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT = "acme-retail"


def bundled() -> list[str]:
    """Return the names of the taxonomies shipped in this package (file names without ``.yaml``)."""
    return sorted(p.name[: -len(".yaml")] for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


def bundled_path(name: str = DEFAULT) -> Path:
    """Return the path of a bundled taxonomy; ``KeyError`` names the known ones when ``name`` is not one."""
    if name not in bundled():
        raise KeyError(f"no bundled taxonomy {name!r} (bundled: {', '.join(bundled())})")
    return Path(str(resources.files(__name__).joinpath(f"{name}.yaml")))
