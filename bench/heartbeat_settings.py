"""Settings of the heartbeat bench: production, plus trusting the client's clock.

``HEARTBEAT_TRUST_CLIENT_TIME`` (``exams.tracking.conf``) lets the scripted load run in
virtual time (a member's 15-second beats are sent back to back) while staying exactly
checkable. Only the bench sets it; everything else is ``cms.settings.production`` as
deployed.
"""

from cms.settings.production import *  # noqa: F403

HEARTBEAT_TRUST_CLIENT_TIME = True
