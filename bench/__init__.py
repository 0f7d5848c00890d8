"""Benchmarks of issue #6 (not tests): each module prints figures and writes bench/out/<name>.json."""
