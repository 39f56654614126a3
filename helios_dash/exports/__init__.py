"""Exports: a ``Report`` (what a view shows) turned into bytes, one module per format.

``reports`` assembles the report of a view from the same service calls the page makes,
so an export always matches the screen; ``csv.py``, ``xlsx.py``, ``json.py`` and
``pdf.py`` only render it, and ``render.py`` picks the renderer of a request's format.
"""
