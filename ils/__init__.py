"""ils package of Serepok."""
