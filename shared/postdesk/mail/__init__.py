"""Bytes in, typed message out (parse, decode, HTML to text); typed outbound message in, bytes out."""
