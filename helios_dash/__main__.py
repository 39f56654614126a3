"""``python -m helios_dash``: the same as the ``helios-dash`` command."""
from .cli import main

main()
