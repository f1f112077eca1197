"""What the watch log announces to the layers above it (they connect in ``ready()``).

``engaged_time_credited`` is sent inside the beat's transaction when a beat credits
engaged time, with ``user_id``, ``beat_id``, ``lesson_id``, ``day`` (the member's local
day) and the day's engaged seconds before and after the beat: the hours ledger appends
its entry atomically with the beat.
"""

from django.dispatch import Signal

engaged_time_credited = Signal()
