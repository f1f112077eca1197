"""Admin of the question bank: bank."""
