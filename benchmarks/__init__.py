"""Benchmarks: each prints its figures beside a bare baseline measured in the same run."""
