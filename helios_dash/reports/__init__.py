"""Reports: what a view shows, assembled from the same service calls its page makes.

``vocabulary`` names the export kinds and formats; ``config`` checks an export request;
``assemble`` builds the ``Report`` of a view from its ``sections`` (tables with ``columns``
from the metric registry, charts, ``sentences``). ``exports`` renders a report to bytes.
"""
