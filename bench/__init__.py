"""Benchmarks: each candidate reported against a baseline measured in the same run."""
