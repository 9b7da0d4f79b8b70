"""BlueKing monitor (v2, BlueKing 5.1) endpoints; one module per group registers its rows."""
