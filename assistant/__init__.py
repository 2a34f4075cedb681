"""assistant package of Serepok."""
