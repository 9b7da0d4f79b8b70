"""BlueKing CMDB (`cc`) endpoints; one module per group registers its rows into the table."""
