"""What HELIOS is about, free of any framework: algorithm types, record columns, the metric registry.

Every layer may import from here; nothing here imports from the rest of the package.
"""
