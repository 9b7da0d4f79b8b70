"""BlueKing job platform (`job`) endpoints; one module per group registers its rows."""
