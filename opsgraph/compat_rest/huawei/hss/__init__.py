"""Huawei Cloud HSS (Host Security Service): create_task (cluster_scan, iac_scan) and the file
upload that iac_scan reads, over `startSecurityScan` / `uploadScanFiles`."""
