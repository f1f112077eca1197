"""What courses announce to the layers above it (they connect in their ``ready()``).

``course_completed`` is sent inside the transaction that records a member's completion
of a course, once per completion, with ``user`` and ``course``.
"""

from django.dispatch import Signal

course_completed = Signal()
