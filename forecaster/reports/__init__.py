"""What a person reads: HTML pages with their figures, and the terminal's tables.

Reports format results; they compute no metrics.
"""
