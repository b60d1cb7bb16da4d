"""Events out: every change of a ticket published to the stack's event bus (docs/events.md)."""
