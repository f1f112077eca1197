"""The home page's banner images, served by the page itself.

Image renditions under ``MEDIA_URL/images/`` go only to the audience of a course using
the image; a banner is on the public home page, so the page serves the renditions of its
own banners (only those in its live body) to whoever may see the page.
"""

from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control
from wagtail.images import get_image_model
from wagtail.models import Page

from .blocks import BANNER_FILTER


def banner_image_ids(*, page: Page) -> set[int]:
    """Images of the banners in the page's live body."""
    return {
        block["value"].get("image")
        for block in page.body.raw_data
        if block["type"] == "banner" and block["value"].get("image")
    }


def banner_response(*, page: Page, image_id: int) -> HttpResponse:
    # ``page`` is the page as published: a banner in a draft is not public yet.
    if not page.live or image_id not in banner_image_ids(page=page):
        raise Http404
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        raise Http404
    rendition = image.get_rendition(BANNER_FILTER)
    response = FileResponse(rendition.file.open("rb"), content_type="image/webp")
    # The URL names the image, not the rendition: a day's cache, not a year's.
    patch_cache_control(response, public=True, max_age=86400)
    return response
