"""Contract suites: behaviour every implementation of an interface must show.

A backend's own test module subclasses the contract class and provides its
fixture (see ``search_index_contract.py``).
"""
