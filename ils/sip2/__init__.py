"""The SIP2 server for self-check machines (3M Standard Interchange Protocol 2.00).

``codec`` reads and writes the messages, ``handlers`` answers them through the
circulation service (``ICirculation``), ``server`` is the TCP (optionally TLS)
server run by ``serepok sip2 INI``; ``models`` holds the terminals set up on the
staff screen (``portal/views/sip2_staff.py``).
"""
