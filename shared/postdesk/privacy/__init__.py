"""A requester's rights over their data (GDPR art. 15 and 17, CCPA): export everything the desk holds
about an address, and erase it. ``records`` finds it, ``export`` and ``erase`` act on it, ``audit``
records that they did (never whose data), `postdesk privacy` is in postdesk_tools/privacy_cli.py."""
