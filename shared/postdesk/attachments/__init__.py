"""Files agents send: uploaded from the browser straight to S3 (uploads.py), checked by their content
(types.py) and name (names.py), and turned into what a mail carries (outgoing.py)."""
