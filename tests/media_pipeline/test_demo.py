import io

import pytest

from media_pipeline import demo
from media_pipeline.models import LectureVideo
from media_pipeline.selectors import video_playback
from tests.factories import UserFactory

pytestmark = pytest.mark.ffmpeg


def test_demo_lecture_is_generated_transcoded_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    demo.seed(stdout=io.StringIO())
    out = io.StringIO()
    demo.seed(stdout=out)

    video = LectureVideo.objects.get(title=demo.DEMO_TITLE)
    assert video.status == "ready" and "ready already" in out.getvalue()
    assert [r["name"] for r in video.renditions["rungs"]] == ["240p", "360p", "480p", "720p"]
    editor = UserFactory(is_superuser=True)
    info = video_playback(user=editor, video=video)
    assert info.poster_url and info.download_url and 19 < info.duration < 21
