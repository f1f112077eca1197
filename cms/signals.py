"""What the organisation announces to the layers above it (they connect in ``ready()``).

``members_joined_units`` is sent with ``user_ids`` when members are created in a unit or
moved to another one (one member or a whole import), so that courses assigned to their
new units can enrol them.
"""

from django.dispatch import Signal

members_joined_units = Signal()
