"""Views analysts and the CX team read (schema ``mart``)."""
