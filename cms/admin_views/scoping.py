"""Admin views that only ever see what ``cms.selectors`` lets the user see.

Objects outside the user's scope are not found (404), in listings and object views alike.
"""

from django.db.models import QuerySet


class ScopeMixin:
    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError


class ScopedListingMixin(ScopeMixin):
    """Index views: the listing is the scoped queryset."""

    def get_base_queryset(self) -> QuerySet:
        return self.scoped_queryset()


class ScopedObjectMixin(ScopeMixin):
    """Edit and delete views: the object is looked up in the scoped queryset."""

    def get_queryset(self) -> QuerySet:
        return self.scoped_queryset()


class ScopedObjectListingMixin(ScopeMixin):
    """History and usage views: the object is looked up in the scoped queryset.

    Only the object lookup is scoped; the listing (log entries, references) stays the
    view's own, which a ``get_queryset`` override would replace with the scoped objects.
    """

    def get_base_object_queryset(self) -> QuerySet:
        return self.scoped_queryset()
