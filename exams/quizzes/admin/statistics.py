"""Admin of the question bank: statistics."""
