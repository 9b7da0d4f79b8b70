"""Starting, cancelling, retrying and reading tasks."""
