"""Speed and quality benchmarks (`make bench`, `python -m benchmarks.bench_retrieval`): figures
and ratios against a baseline measured in the same run."""
