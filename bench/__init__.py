"""Side-by-side benchmarks of Medallion against the real app on uvicorn: `python -m bench --quick`."""
