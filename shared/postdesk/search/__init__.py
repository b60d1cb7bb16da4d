"""Full-text search over tickets: documents made from a ticket and its thread, SQLite FTS5 segments
that hold them, and the index of segments kept in the mail bucket (docs/search.md)."""
