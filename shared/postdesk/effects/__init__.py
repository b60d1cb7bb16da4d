"""Side effects that must happen once: their keys (``keys``), the guards that record them
(``guards``), the retry over a concurrent change (``retry``) and the one mechanism every outbound mail
goes through (``send_once``)."""
