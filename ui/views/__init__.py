"""One module of handlers per view of the app."""
