"""federation package of Serepok."""
