"""Authentication: password hashing, bearer tokens and Flask-Login wiring."""
