"""What a message is: whether it is automatic, bounced or spam, and (later) its language and category."""
