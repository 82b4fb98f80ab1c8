"""What ships with the code: deploy files and scripts, nginx, migrations, docs, benchmarks."""
