"""Business rules: validate, write, commit, and only then notify."""
