"""Great Expectations, imported once, with its usage statistics switched off: the gates never touch the network."""

from __future__ import annotations

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

try:
    import great_expectations as gx
    import great_expectations.expectations as gxe
except ImportError as exc:  # the gates are part of every load: fail loudly rather than publish unchecked
    raise ImportError("the data-quality gates need Great Expectations: pip install 'voc-pipeline[quality]'") from exc

__all__ = ["gx", "gxe"]
