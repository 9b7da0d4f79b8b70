"""Agents: installing them on hosts (install tasks) and accepting their heartbeats."""
