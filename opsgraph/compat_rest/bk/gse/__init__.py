"""bk `gse` (管控平台): agent status and heartbeat details of the OpsGraph agents."""
