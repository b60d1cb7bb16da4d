"""Adapters for S3, SES, Secrets Manager, EventBridge Scheduler and DynamoDB (one shared connection,
named transactions), built lazily (never a client at import)."""
