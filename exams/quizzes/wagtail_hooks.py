"""The quizzes' admin: each module of ``admin/`` registers its own hooks on import."""

from .admin import bank, importing, marking, statistics  # noqa: F401
