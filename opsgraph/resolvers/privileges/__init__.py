"""User groups, their privileges, role privileges, and enforcing them (`enforce.authorize`)."""
