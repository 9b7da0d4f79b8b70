"""Security scans: uploading files for IaC scans, starting cluster and IaC scans, reading findings."""
