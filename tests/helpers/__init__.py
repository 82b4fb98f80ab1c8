"""What the tests import: real processes, real clients, readers and checks.

Fixtures are not here: they live in the conftest.py files, where pytest finds
them. Nothing in this package imports a test module or a conftest.
"""
