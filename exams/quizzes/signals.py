"""What quizzes announce to the layers above (``exams.hours`` connects in its ``ready()``).

``quiz_result_changed`` is sent inside the transaction that writes a member's quiz result
(``services.attempts.quiz_result_update``), whenever the result is written, with
``user_id``, ``quiz_id``, ``passed`` and ``first_passed_at`` (None until the first pass;
never changes after it). Receivers must be idempotent: a regrade sends it again.
"""

from django.dispatch import Signal

quiz_result_changed = Signal()
