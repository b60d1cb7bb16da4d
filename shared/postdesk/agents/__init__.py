"""Agents: who may use the desk's API, in which role, and the API tokens that prove it."""
