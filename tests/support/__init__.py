"""Test harness: a real `opsgraph serve` process per database backend, driven over HTTP."""
