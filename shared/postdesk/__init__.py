"""Postdesk: an email support desk on AWS serverless services."""
