"""Monitoring: metrics, query_data, alarm strategies, alarms, shields, uptime checks, collectors."""
