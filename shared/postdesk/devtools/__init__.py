"""Tooling for people, not for Lambda: provisioning the local stack and tests from infra/, the demo."""
