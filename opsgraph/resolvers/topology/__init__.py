"""Topology operations, one module per entity."""
