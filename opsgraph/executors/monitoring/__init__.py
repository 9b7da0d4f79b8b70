"""Monitoring work that runs inside the server: the batched metric writer, detection on a schedule
(under a lease, so one server detects at a time), uptime probes from the server node, roll-ups and
retention."""
