"""Tickets: the model, its state machine, its append-only event log, and the one store that persists them."""
