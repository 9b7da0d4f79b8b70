"""One big host step split across the workers of the distributed deployment (see barrier.py)."""
