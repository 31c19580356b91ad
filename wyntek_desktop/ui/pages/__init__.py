"""The main screens of the window."""
