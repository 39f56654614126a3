"""Pure builders: DataFrame in, ``go.Figure`` out; one module per page."""
