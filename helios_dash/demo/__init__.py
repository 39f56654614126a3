"""Deterministic demo data for an empty store (``helios-dash seed-demo``)."""
from .generator import SeedResult, seed_demo

__all__ = ["SeedResult", "seed_demo"]
