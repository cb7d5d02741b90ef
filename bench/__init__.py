"""Benchmarks: a national dataset at ten times today's size, and the timings of the reports over it.

Run them with `make bench` (full scale) or `make bench-small` (CI-sized); docs/benchmarks.md has the figures.
"""
