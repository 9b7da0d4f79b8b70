"""The standard-ops (bk-sops) flow engine: pipeline_tree parsing and validation, variables and
conditions, the per-run runtime with its persisted node states, operations, and plugins."""
