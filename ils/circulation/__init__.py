"""Circulation: policies, calendars, loans, renewals, holds and digital loans.

The desk, the reader's account, the API, the kiosk and the SIP2 server all
call the one service behind ``ICirculation`` (``interfaces.py``).
"""
