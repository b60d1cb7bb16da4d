"""Adapters for S3, SES, SSM and EventBridge Scheduler, built lazily (never a client at import)."""
