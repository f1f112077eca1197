"""Transcode failures that another try will not cure, told apart from transient ones.

A full disk is not transient in the sense the retries assume (a few minutes later it is
still full, and each retry fills it again while other uploads and transcodes need the
space): the video ends ``failed`` at once with a reason the trainer can act on, its
uploaded source kept, so that "transcode again" works once space is freed.
"""

from __future__ import annotations

import errno

from django.utils.translation import gettext as _

from .probe import ProbeError

# What ffmpeg prints (strerror of ENOSPC and EDQUOT) when a write fails for lack of space.
_DISK_FULL_MESSAGES = ("No space left on device", "Disk quota exceeded")
_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class NotEnoughDiskSpace(ProbeError):
    """The ladder did not fit on the disk; ``str(error)`` is the reason for the trainer."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Not enough disk space to transcode this video. The uploaded file is kept: "
                "free some space on the media storage, then transcode it again."
            )
        )


def is_disk_full(error: BaseException | str) -> bool:
    """Whether ``error`` (an exception, or what ffmpeg printed) says the disk is full."""
    if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
        return True
    return any(message in str(error) for message in _DISK_FULL_MESSAGES)


def raise_if_disk_full(error: BaseException | str) -> None:
    """Raise :class:`NotEnoughDiskSpace` if ``error`` says the disk is full."""
    if is_disk_full(error):
        raise NotEnoughDiskSpace()
