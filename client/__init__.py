"""client package of Serepok."""
