"""Admin of the question bank: marking."""
