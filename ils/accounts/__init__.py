"""Accounts that sign in to the portal: staff and readers, passwords and API tokens."""
