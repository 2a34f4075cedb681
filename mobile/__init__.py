"""mobile package of Serepok."""
