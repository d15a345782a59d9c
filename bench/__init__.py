"""Benchmarks of govhall at ten years of data, each against a ceiling measured in the same run (docs/benchmarks.md)."""
