import os
import threading
import time

import ffmpeg
import pytest

from media_pipeline.probe import ProbeError, ffprobe_json, probe_media

pytestmark = pytest.mark.ffmpeg


class CanaryWatch:
    """Notices if anything opens the canary FIFO for reading while it is watched."""

    def __init__(self, path):
        self.path, self.opened, self._stop = str(path), False, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody reads it
                time.sleep(0.005)
                continue
            self.opened = True
            os.close(fd)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.05)
        self._stop.set()
        self._thread.join()


class TestAccepted:
    def test_video_is_probed(self, clips):
        result = probe_media(str(clips.v360))

        assert result.kind == "video"
        assert (result.width, result.height) == (640, 360)
        assert result.video_codec == "h264" and result.audio_codec == "aac"
        assert 1.9 < result.duration < 2.2

    def test_audio_only_mp3_is_an_audio_lecture(self, clips):
        result = probe_media(str(clips.mp3))

        assert result.kind == "audio"
        assert result.audio_codec == "mp3"


class TestRejected:
    @pytest.mark.parametrize(
        "clip, message",
        [
            ("not_media", "not a video or audio file"),
            ("audio_mkv", "no video stream"),
            ("empty", "no duration"),
            ("wide", "4100×16"),
            ("playlist", "Playlists and concat lists"),
            ("disguised", "Playlists and concat lists"),
            ("concat", "Playlists and concat lists"),
        ],
    )
    def test_bad_upload_gets_its_message(self, clips, clip, message):
        with pytest.raises(ProbeError) as error:
            probe_media(str(getattr(clips, clip)))

        assert message in str(error.value)

    def test_too_long(self, clips, settings):
        settings.MEDIA_MAX_DURATION_SECONDS = 1

        with pytest.raises(ProbeError, match="longest accepted is 0:00:01"):
            probe_media(str(clips.v240))

    @pytest.mark.parametrize("clip", ["disguised", "concat"])
    def test_reference_list_never_reads_the_file_it_names(self, clips, clip):
        with CanaryWatch(clips.canary) as canary:
            with pytest.raises(ProbeError):
                probe_media(str(getattr(clips, clip)))
            # Even past the first-bytes check, ffprobe refuses playlist/concat demuxers.
            with pytest.raises(ffmpeg.Error):
                ffprobe_json(str(getattr(clips, clip)))

        assert canary.opened is False

    def test_the_canary_works(self, clips):
        """The watch does notice a reader (so the test above can fail)."""
        with CanaryWatch(clips.canary) as canary, open(clips.canary, "rb") as fh:
            fh.read()

        assert canary.opened is True
