"""Cross-cutting pieces. Nothing in here imports from the layers above it."""
