"""Programs the tests run in processes of their own (eventlet must patch first)."""
