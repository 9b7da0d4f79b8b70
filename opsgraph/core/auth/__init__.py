"""Authentication primitives: tokens, password hashing, principals. No database access here."""
