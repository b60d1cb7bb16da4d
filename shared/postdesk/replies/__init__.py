"""Replies agents write: template variables in a reply body, its Markdown, and the saved replies."""
