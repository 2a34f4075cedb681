"""kiosk package of Serepok."""
