"""The member's own training record on the site (printable)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from cms.models import MemberProfile

from .admin_views.members import YearForm
from .records import member_record, record_title


@require_safe
@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    form = YearForm(request.GET)
    if not form.is_valid():
        return TemplateResponse(request, "reports/my_record.html", {"form": form}, status=400)
    year = form.cleaned_data["year"] or timezone.localdate().year
    try:
        record = member_record(user=request.user, member_user_id=request.user.pk, year=year)
    except MemberProfile.DoesNotExist:
        raise Http404 from None  # an account without a unit has no record
    context = {"record": record, "title": record_title(record), "form": form}
    return TemplateResponse(request, "reports/my_record.html", context)
