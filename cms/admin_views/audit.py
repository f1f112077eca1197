"""Wagtail's site history, scoped like every other listing a manager can reach.

Wagtail decides who sees a (non-page) log entry by content type: anyone with a permission
on units sees every unit's entries. Here entries about organisation objects (units, members,
and whatever a higher layer registers through the ``AUDIT_SCOPE_HOOK`` hook) are further
limited to the objects the user may see, as ``cms.selectors`` decides. Other entries keep
Wagtail's rule; superusers see everything.

Wagtail's site history reads every model in ``log_registry.get_log_entry_models()``; the
hook ``register_log_actions`` (see ``cms.wagtail_hooks``) swaps ``ModelLogEntry`` in that
set for ``ScopedModelLogEntries`` below, which reads the same table through a scoped
``viewable_by_user``. Writing and per-object history still go through ``ModelLogEntry``.
"""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from wagtail import hooks
from wagtail.models import ModelLogEntry
from wagtail.models.audit_log import ModelLogEntryManager

from cms.models import MemberProfile, Unit
from cms.selectors import members_visible_to, units_visible_to

# Hook returning ``{model: selector}``; ``selector(user=...)`` gives the objects of that
# model whose log entries the user may see (e.g. exams registers study sessions).
AUDIT_SCOPE_HOOK = "register_audit_log_scope"

Scopes = dict[type[Model], Callable[..., QuerySet]]


def audit_log_scopes() -> Scopes:
    scopes: Scopes = {Unit: units_visible_to, MemberProfile: members_visible_to}
    for fn in hooks.get_hooks(AUDIT_SCOPE_HOOK):
        scopes.update(fn())
    return scopes


def _ids(queryset: QuerySet) -> QuerySet:
    return queryset.order_by().values(text_pk=Cast("pk", CharField()))


def scoped_log_filter(*, user: AbstractBaseUser, scopes: Scopes) -> Q:
    """Entries about a scoped model pass only for objects in the user's scope."""
    content_types = ContentType.objects.get_for_models(*scopes, for_concrete_models=False)
    allowed = ~Q(content_type__in=list(content_types.values()))
    for model, selector in scopes.items():
        allowed |= Q(
            content_type=content_types[model],
            object_id__in=_ids(selector(user=user)),
        )
    return allowed


class ScopedModelLogEntryManager(ModelLogEntryManager):
    def viewable_by_user(self, user: AbstractBaseUser) -> QuerySet:
        entries = super().viewable_by_user(user)
        if user.is_superuser:
            return entries
        return entries.filter(scoped_log_filter(user=user, scopes=audit_log_scopes()))


def _scoped_manager() -> ScopedModelLogEntryManager:
    manager = ScopedModelLogEntryManager()
    manager.model = ModelLogEntry
    manager.name = "objects"
    return manager


class ScopedModelLogEntries:
    """Stands for ``ModelLogEntry`` in the site history: the same rows, read through
    ``ScopedModelLogEntryManager``."""

    objects = _scoped_manager()


def log_entry_models_scope(log_entry_models: set) -> None:
    """Replace ``ModelLogEntry`` by its scoped reader in Wagtail's set of log models."""
    if ModelLogEntry in log_entry_models:
        log_entry_models.discard(ModelLogEntry)
        log_entry_models.add(ScopedModelLogEntries)
