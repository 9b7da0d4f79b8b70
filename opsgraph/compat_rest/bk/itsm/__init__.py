"""BlueKing ITSM (`itsm`, 流程服务): catalogs, services, tickets and their operations; one module
per group registers its rows (common.py holds what they share)."""
