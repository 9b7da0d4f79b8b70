"""BlueKing standard ops (`sops`) endpoints: templates, tasks and their nodes, periodic tasks."""
