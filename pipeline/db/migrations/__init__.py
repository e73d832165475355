"""Alembic environment and versioned, forward-only migrations of the warehouse DDL."""
