"""One module per use case (ingest, reply, ticket work, survey, ratings, SLA timers, mail feedback,
retention, the report); each takes the settings and its ports (postdesk/ports.py) as parameters."""
