"""The one rule every configuration YAML file shares: mapping keys are text.

YAML reads ``1: x``, ``null: y``, ``true: z`` or ``[a]: b`` as keys of other types; the parsers compare, sort
and print keys as strings, so such a key is reported here, with its line, before they look at the document.
"""

from __future__ import annotations

import yaml

STR_TAG = "tag:yaml.org,2002:str"


def non_string_key(node: yaml.Node | None) -> tuple[int, str] | None:
    """Return (1-based line, description) of the first mapping key in a composed document that is not a
    string, or None. Iterative, and each node is visited once: aliases can make the graph cyclic."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if not (isinstance(key, yaml.ScalarNode) and key.tag == STR_TAG):
                    return key.start_mark.line + 1, _describe(key)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def _describe(key: yaml.Node) -> str:
    if isinstance(key, yaml.ScalarNode):
        kind = key.tag.rsplit(":", 1)[-1]
        return f"the key {key.value!r} is read as {kind}, not text: quote it (\"{key.value}\") or remove it"
    kind = "a list" if isinstance(key, yaml.SequenceNode) else "a mapping"
    return f"a key is {kind}, not text: keys must be plain names"
