"""Admin views that only ever see what ``cms.selectors`` lets the user see.

Objects outside the user's scope are not found (404), in listings and object views alike.
"""

from django.db.models import QuerySet


class ScopeMixin:
    def scoped_queryset(self) -> QuerySet:
        raise NotImplementedError


class ScopedListingMixin(ScopeMixin):
    def get_base_queryset(self) -> QuerySet:
        return self.scoped_queryset()


class ScopedObjectMixin(ScopeMixin):
    def get_queryset(self) -> QuerySet:  # edit and delete views
        return self.scoped_queryset()

    def get_base_object_queryset(self) -> QuerySet:  # history and usage views
        return self.scoped_queryset()
