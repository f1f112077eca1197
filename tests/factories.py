"""Factories shared by every test package."""

import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cms import roles
from cms.models import MemberProfile, Unit

_codes = itertools.count(1)


def make_unit(name: str | None = None, parent: Unit | None = None, **fields) -> Unit:
    n = next(_codes)
    unit = Unit(name=name or f"Unit {n}", code=fields.pop("code", f"U{n:05d}"), **fields)
    return parent.add_child(instance=unit) if parent else Unit.add_root(instance=unit)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pass12345")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_member(unit: Unit, role: str = roles.MEMBERS, username: str | None = None, **kw):
    user = UserFactory(**({"username": username} if username else {}), **kw)
    MemberProfile.objects.create(user=user, unit=unit, full_name=f"Name {user.username}")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user
