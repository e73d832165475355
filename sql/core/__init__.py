"""Views over core tables that later layers read (schema ``core``)."""
