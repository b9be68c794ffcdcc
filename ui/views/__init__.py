"""One module per view of the app: its layout (``build``), its events (``wire``), its handlers."""
