"""Service levels: business calendars, SLA policies and the clocks that measure tickets against them."""
