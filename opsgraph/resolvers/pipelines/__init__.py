"""Pipelines (bk-sops): templates, runs and their operations, periodic tasks."""
