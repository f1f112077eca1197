"""The review of notices ("公告审核"): who may approve a notice, and what approving does.

Like "Course review" (``courses.models.CourseReviewTask``, a layer above, so not reused):
nobody approves their own notice, and the approval publishes it, since no role below the
superuser holds the publish permission on notices. On top of that, the approver must be
above every unit the notice is for (``cms.notices.notice_in_scope``), so a branch's
manager never publishes to another branch. ``cms.models`` defines the task with this
mixin, so ``cms.notices`` is imported inside the methods.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from wagtail.models import Page, WorkflowState
from wagtail.signals import workflow_approved


def notice_authors(obj: Page) -> set[int]:
    """Who submitted the changes under review or wrote a revision not yet published."""
    state = obj.current_workflow_state
    ids = {state.requested_by_id} if state else set()
    revisions = obj.revisions
    if obj.live_revision_id:
        revisions = revisions.filter(pk__gt=obj.live_revision_id)
    ids.update(revisions.values_list("user_id", flat=True))
    ids.discard(None)
    return ids


class NoticeReviewMixin:
    def user_may_review(self, obj: Page, user: AbstractBaseUser) -> bool:
        from .notices import notice_in_scope

        if user.is_superuser:
            return True
        if user.pk in notice_authors(obj):
            return False
        # The workflow may be given to other pages too: scope is a notice's audience.
        return not hasattr(obj, "audience_units") or notice_in_scope(user=user, notice=obj)

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and not self.user_may_review(obj.specific, user):
            return []
        return actions

    def get_task_states_user_can_moderate(self, user, **kwargs):
        from .notices import notice_ids_out_of_scope

        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser:
            return states
        out_of_scope = [
            str(pk) for pk in notice_ids_out_of_scope(user=user).values_list("pk", flat=True)
        ]
        return states.exclude(workflow_state__requested_by=user).exclude(
            workflow_state__object_id__in=out_of_scope
        )

    def review_action(self, task_state, user, action_name, **kwargs):
        obj = task_state.workflow_state.content_object
        if action_name not in {name for name, _label, _modal in self.get_actions(obj, user)}:
            raise PermissionDenied
        if action_name != "approve":
            return super().on_action(task_state, user, action_name, **kwargs)
        task_state.approve(user=user, update=False, **kwargs)  # logged with the approver
        workflow_state = task_state.workflow_state
        if workflow_state.get_next_task() is not None:
            workflow_state.update(user=user)
            return None
        # ``WorkflowState.finish`` would publish with the approver's publish permission,
        # which nobody holds on notices: the approval is the right to publish.
        workflow_state.status = WorkflowState.STATUS_APPROVED
        workflow_state.save(update_fields=["status"])
        revision = workflow_state.content_object.get_latest_revision()
        revision.publish(user=user, skip_permission_checks=True)
        workflow_approved.send(sender=WorkflowState, instance=workflow_state, user=user)
        return None
