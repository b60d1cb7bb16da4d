"""Webhooks: endpoints subscribed to the desk's events; deliveries signed, retried, dead-lettered."""
