"""Review by a second person, shared by "Course review" (courses) and the notice review (cms).

On top of Wagtail's group approval: nobody reviews their own work (whoever submitted the
changes or wrote a revision not yet published gets no actions), an approval may be refused
with reasons the authors read in the workflow history, and the approval itself publishes
the approved revision as the approver. No group needs the publish permission, so nothing
below a superuser goes live without a second person.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from wagtail.models import Page, WorkflowState
from wagtail.signals import workflow_approved


def unpublished_authors(obj: Page) -> set[int]:
    """Who submitted the changes under review or wrote a revision not yet published."""
    state = obj.current_workflow_state
    ids = {state.requested_by_id} if state else set()
    revisions = obj.revisions
    if obj.live_revision_id:
        revisions = revisions.filter(pk__gt=obj.live_revision_id)
    ids.update(revisions.values_list("user_id", flat=True))
    ids.discard(None)
    return ids


class SecondPersonReviewMixin:
    """Mixed into a subclass of Wagtail's ``AbstractGroupApprovalTask``. Subclasses may
    widen ``authors``, narrow ``user_may_review``, refuse an approval in
    ``approval_problems`` and publish what goes with the page in ``before_publish``."""

    def authors(self, obj: Page) -> set[int]:
        return unpublished_authors(obj)

    def user_may_review(self, obj: Page, user: AbstractBaseUser) -> bool:
        return user.is_superuser or user.pk not in self.authors(obj)

    def approval_problems(self, obj: Page) -> list[str]:
        return []

    def before_publish(self, page: Page, user: AbstractBaseUser) -> None:
        """Called in the approval's transaction, before ``page`` is published."""

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and not self.user_may_review(obj.specific, user):
            return []
        return actions

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser:
            return states
        return states.exclude(workflow_state__requested_by=user)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        obj = task_state.workflow_state.content_object
        if action_name not in {name for name, _label, _modal in self.get_actions(obj, user)}:
            raise PermissionDenied
        if action_name != "approve":
            return super().on_action(task_state, user, action_name, **kwargs)
        problems = self.approval_problems(obj.specific)
        if problems:
            task_state.reject(user=user, comment=" ".join(problems))
            return None
        task_state.approve(user=user, update=False, **kwargs)  # logged with the approver
        workflow_state = task_state.workflow_state
        if workflow_state.get_next_task() is not None:
            workflow_state.update(user=user)
        else:
            self._publish_approved(workflow_state=workflow_state, user=user)
        return None

    def _publish_approved(self, *, workflow_state: WorkflowState, user: AbstractBaseUser) -> None:
        # ``WorkflowState.finish`` would publish with the approver's publish permission,
        # which no reviewing group holds: the approval is the right to publish.
        workflow_state.status = WorkflowState.STATUS_APPROVED
        workflow_state.save(update_fields=["status"])
        page = workflow_state.content_object.specific
        self.before_publish(page, user)
        page.get_latest_revision().publish(user=user, skip_permission_checks=True)
        workflow_approved.send(sender=WorkflowState, instance=workflow_state, user=user)
