"""Triage: rules, sentiment, category model and routing."""
