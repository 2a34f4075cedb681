"""portal package of Serepok."""
