"""The REST API through Flask's test client: auth, rooms, errors, guards, rate limits."""
