"""Measures: benchmarks, training scripts for the shipped models, and speed runs. Nothing in
index/, qa/ or ui/ imports it."""
