"""Scoring forecasts: metrics, baselines, periods, backtests, comparisons and verdicts.

Compute only: nothing in this package writes a file or prints.
"""
