"""Security scanning: the baseline rules run against hosts over SSH, the static IaC checks of
uploaded Dockerfiles and Kubernetes manifests, and recording their findings. The step executors
that use them are `executors/security_scan.py` (per host) and `executors/iac_scan.py` (host-less)."""
