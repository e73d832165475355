"""Connectors: one module per source kind, each turning an export into canonical feedback items.

A connector yields ``SourceRecord`` objects (what arrived, with its location) and provides
``to_items(record)`` which returns the canonical items of one record or raises ``RecordError``.
"""
