"""The review of notices ("公告审核"): who may approve a notice, and what approving does.

As "Course review" (``cms.second_person_review``): nobody approves their own notice, and
the approval publishes it, since no role below the superuser holds the publish permission
on notices. On top of that, the approver must be
above every unit the notice is for (``cms.notices.notice_in_scope``), so a branch's
manager never publishes to another branch. ``cms.models`` defines the task with this
mixin, so ``cms.notices`` is imported inside the methods.
"""

from django.contrib.auth.models import AbstractBaseUser
from wagtail.models import Page

from .second_person_review import SecondPersonReviewMixin


class NoticeReviewMixin(SecondPersonReviewMixin):
    def user_may_review(self, obj: Page, user: AbstractBaseUser) -> bool:
        from .notices import notice_in_scope

        if not super().user_may_review(obj, user):
            return False
        if user.is_superuser:
            return True
        # The workflow may be given to other pages too: scope is a notice's audience.
        return not hasattr(obj, "audience_units") or notice_in_scope(user=user, notice=obj)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from .notices import notice_ids_out_of_scope

        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser:
            return states
        out_of_scope = [
            str(pk) for pk in notice_ids_out_of_scope(user=user).values_list("pk", flat=True)
        ]
        return states.exclude(workflow_state__object_id__in=out_of_scope)
