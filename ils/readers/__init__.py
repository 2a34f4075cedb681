"""Readers (bạn đọc): the people who hold a library card, their consents and the audit log.

One patron base for the whole province: a card works at both sites; each reader
has a home site. Circulation (``ils.circulation``) refers to readers by id.
"""
