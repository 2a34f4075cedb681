"""iiif package of Serepok."""
