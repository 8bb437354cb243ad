"""Datasette plugins of the public dashboard (loaded with Datasette's ``--plugins-dir``)."""
