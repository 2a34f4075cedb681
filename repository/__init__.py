"""repository package of Serepok."""
