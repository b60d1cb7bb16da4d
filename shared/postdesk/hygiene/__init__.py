"""Mail hygiene: the addresses no mail may go to, and SES's word on the mail that bounced."""
