"""The agent API without Chalice: typed requests in, JSON responses out, errors mapped in one place."""
