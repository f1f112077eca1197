"""Course covers: what a course card and a course page header show above the title.

In order: the image the trainer chose (a Wagtail image, as WebP renditions at the widths the
member pages use), else a frame of the course's first lecture (the poster the media pipeline
makes, itself a small WebP), else a neutral placeholder drawn by CSS, which costs no request.

Covers are as private as their courses: a rendition is served by ``courses.views.image_file``
only to those who may see a course using the image (Wagtail's reference index knows the
cover), a poster only through the lecture's signed, per-member URL. Anonymous visitors see no
course, so no cover either: nothing here is public.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models.functions import Length, Substr
from wagtail.images import get_image_model
from wagtail.images.image_operations import FilterOperation
from wagtail.models import Page

from media_pipeline.ladder import Manifest
from media_pipeline.models import LectureVideo
from media_pipeline.selectors import playback_url
from media_pipeline.tokens import playback_token_make

from .models import CoursePage, LessonPage

COVER_MAX_BYTES = 15 * 1024  # at phone width (360 px at 2× DPR): ~0.5 s on the 2G-class link
COVER_WIDTHS = (360, 720)  # a phone's width at 1× and 2× DPR; wider screens show ≤ 720 px
COVER_RATIO = 9 / 16
# WebP qualities tried in turn until a rendition fits ``COVER_MAX_BYTES``.
WEBP_QUALITIES = (75, 65, 55, 45, 35, 25, 15)
# When even the lowest quality is too big (grain, noise): fewer pixels at this quality.
WEBP_SCALES = (0.75, 0.5, 0.35, 0.25)
WEBP_LAST_RESORT_QUALITY = 30
# ``sizes`` per place: a card spans the content column on a phone and a grid cell (about
# 20rem) beside others; the course page header spans the column up to 720 px.
COVER_SIZES = {
    "card": "(max-width: 34rem) calc(100vw - 2rem), 20rem",
    "header": "(max-width: 47rem) calc(100vw - 2rem), 720px",
}


def cover_height(width: int) -> int:
    return round(width * COVER_RATIO)


def cover_filter_spec(width: int) -> str:
    return f"fill-{width}x{cover_height(width)}|webpbudget-{COVER_MAX_BYTES}"


COVER_FILTER_SPECS = tuple(cover_filter_spec(width) for width in COVER_WIDTHS)


class WebPBudgetOperation(FilterOperation):
    """``webpbudget-<bytes>``: WebP at the best quality of ``WEBP_QUALITIES`` that fits the
    budget (the lowest when none does). Registered in ``courses.wagtail_hooks``; it runs after
    the resize, so it measures the rendition as it will be stored."""

    def construct(self, max_bytes):
        self.max_bytes = int(max_bytes)
        if self.max_bytes <= 0:
            raise ValueError("The WebP budget must be a positive number of bytes")

    def run(self, willow, image, env):
        env["output-format"] = "webp"
        env["output-format-options"] = ()
        for quality in WEBP_QUALITIES:
            if self._fits(willow, quality):
                env["webp-quality"] = quality
                return willow
        # Grain or noise that no quality brings within budget: fewer pixels, then.
        width, height = willow.get_size()
        for scale in WEBP_SCALES:
            smaller = willow.resize((max(1, round(width * scale)), max(1, round(height * scale))))
            if self._fits(smaller, WEBP_LAST_RESORT_QUALITY) or scale == WEBP_SCALES[-1]:
                env["webp-quality"] = WEBP_LAST_RESORT_QUALITY
                return smaller
        return willow  # pragma: no cover - the loop always returns

    def _fits(self, willow, quality: int) -> bool:
        trial = BytesIO()
        willow.save_as_webp(trial, quality=quality)
        return trial.tell() <= self.max_bytes


@dataclass(frozen=True)
class Cover:
    """What the cover include renders: an image with its ``srcset``, a poster, or nothing
    (``kind == "none"``: the CSS placeholder, tinted by ``hue``)."""

    kind: str = "none"  # "image", "poster" or "none"
    src: str = ""
    srcset: str = ""
    width: int = COVER_WIDTHS[0]
    height: int = cover_height(COVER_WIDTHS[0])
    hue: int = 210


def _placeholder(course: CoursePage) -> Cover:
    return Cover(hue=(course.pk or 0) * 47 % 360)


def _image_covers(courses: list[CoursePage]) -> dict[int, Cover]:
    """Covers from chosen images: one query for the existing renditions (missing ones are
    made once, then stored like any Wagtail rendition)."""
    Image = get_image_model()
    Rendition = Image.get_rendition_model()
    with_cover = [course for course in courses if course.cover_id]
    if not with_cover:
        return {}
    # ``course.cover`` is usually selected with the course; fetch those that are not at once.
    images = {
        course.cover_id: course.cover for course in with_cover if CoursePage.cover.is_cached(course)
    }
    missing = {course.cover_id for course in with_cover} - images.keys()
    images.update(Image.objects.in_bulk(missing) if missing else {})
    stored: dict[int, list] = {pk: [] for pk in images}
    for rendition in Rendition.objects.filter(
        image_id__in=list(images), filter_spec__in=COVER_FILTER_SPECS
    ):
        stored[rendition.image_id].append(rendition)
    covers = {}
    for course in courses:
        image = images.get(course.cover_id)
        if image is None:
            continue
        image.prefetched_renditions = stored[image.pk]
        renditions = list(image.get_renditions(*COVER_FILTER_SPECS).values())
        smallest = renditions[0]
        covers[course.pk] = Cover(
            kind="image",
            src=smallest.url,
            srcset=", ".join(f"{r.url} {r.width}w" for r in renditions),
            width=smallest.width,
            height=smallest.height,
        )
    return covers


def _first_lecture_ids(courses: list[CoursePage]) -> dict[str, int]:
    """Per course path, the video of its first live lesson with a lecture: one query."""
    step = Page.steplen
    paths = [course.path for course in courses]
    lessons = (
        LessonPage.objects.live()
        .annotate(parent_path=Substr("path", 1, Length("path") - step))
        .filter(parent_path__in=paths)
        .order_by("path")
        .values_list("parent_path", "body")
    )
    first: dict[str, int] = {}
    for parent_path, body in lessons:
        if parent_path in first:
            continue
        for block in body.raw_data:
            if block.get("type") != "lecture_video":
                continue
            video = (block.get("value") or {}).get("video")
            if isinstance(video, int) and not isinstance(video, bool):
                first[parent_path] = video
                break
    return first


def _poster_covers(*, user: AbstractBaseUser, courses: list[CoursePage]) -> dict[int, Cover]:
    """Covers from the first lecture's poster, by the member's signed URL (which the media
    view checks again: the lesson is live and its course visible to them)."""
    by_path = _first_lecture_ids(courses)
    if not by_path:
        return {}
    videos = LectureVideo.objects.in_bulk(set(by_path.values()))
    covers = {}
    for course in courses:
        video = videos.get(by_path.get(course.path))
        if video is None or not video.is_ready:
            continue
        poster = Manifest.from_dict(video.renditions).poster
        if not poster:
            continue
        token = playback_token_make(video_id=video.pk, user_id=user.pk)
        covers[course.pk] = Cover(
            kind="poster", src=playback_url(token=token, video_id=video.pk, path=poster)
        )
    return covers


def course_covers(
    *, user: AbstractBaseUser | AnonymousUser, courses: Iterable[CoursePage]
) -> dict[int, Cover]:
    """The cover of each course, by course pk, in a constant number of queries (at most
    three, whatever the number of courses). The caller shows only courses ``user`` may see."""
    courses = [course for course in courses if course is not None]
    if not courses or not user.is_authenticated:
        return {course.pk: _placeholder(course) for course in courses}
    covers = _image_covers(courses)
    rest = [course for course in courses if course.pk not in covers]
    if rest:
        covers.update(_poster_covers(user=user, courses=rest))
    return {course.pk: covers.get(course.pk) or _placeholder(course) for course in courses}
