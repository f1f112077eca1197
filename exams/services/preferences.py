from django.contrib.auth.models import AbstractBaseUser

from ..models import MemberPreference


def preferences_update(*, user: AbstractBaseUser, data_saver: bool) -> MemberPreference:
    preference, _created = MemberPreference.objects.update_or_create(
        user=user, defaults={"data_saver": bool(data_saver)}
    )
    return preference
