"""One module per use case; each takes its ports (store, mailer, blob store, clock) as parameters."""
