"""Mutations, one module per domain; composed into the root Mutation in schema/__init__.py."""
