"""Admin of the question bank: importing."""
