"""The knowledge base: articles in several languages, their versions and what is published
(docs/knowledge.md)."""
