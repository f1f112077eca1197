"""Forms of the organisation admin: units, members and the member import upload."""

from pathlib import PurePath

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import roles
from .importing.validation import phone_problem
from .models import MemberProfile, Unit
from .selectors import members_visible_to, units_visible_to, user_unit
from .services import UnitMoveError, member_create, member_update, unit_create, unit_update

ROLE_CHOICES = [
    (roles.MEMBERS, _("Member")),
    (roles.TRAINERS, _("Trainer")),
    (roles.MANAGERS, _("Manager")),
]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.indented_name} ({obj.code})"


def _visible_units(user) -> "forms.QuerySet[Unit]":
    return units_visible_to(user=user).order_by("path")


class UnitForm(WagtailAdminModelForm):
    """Creates a unit under a parent, or edits one and moves it under another parent."""

    parent = UnitChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label=_("parent unit"),
        help_text=_("The unit this one belongs to. Leave empty for a top-level unit."),
    )

    class Meta:
        model = Unit
        fields = ["name", "code", "yearly_target_hours"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        parent_field = self.fields["parent"]
        parent_field.queryset = _visible_units(user)
        if self.instance.pk:
            parent_field.initial = self.instance.get_parent()
        if user is not None and not user.is_superuser:
            parent_field.required = True
            parent_field.help_text = _("The unit this one belongs to.")
            own = user_unit(user=user)
            if self.instance.pk and own is not None and self.instance.pk == own.pk:
                # The top of a manager's scope stays where it is.
                parent_field.disabled = True
                parent_field.required = False
                above = self.instance.get_parent()
                parent_field.queryset = Unit.objects.filter(pk=above.pk if above else None)

    def clean_parent(self) -> Unit | None:
        parent = self.cleaned_data.get("parent")
        if self.fields["parent"].disabled:
            return self.instance.get_parent()
        if self.instance.pk and parent is not None and parent.path.startswith(self.instance.path):
            raise forms.ValidationError(
                _("A unit cannot be moved under itself or one of its own sub-units.")
            )
        return parent

    def save(self, commit: bool = True) -> Unit:
        data = self.cleaned_data
        fields = {
            "name": data["name"],
            "code": data["code"],
            "yearly_target_hours": data.get("yearly_target_hours"),
            "parent": data.get("parent"),
        }
        if self.instance.pk is None:
            self.instance = unit_create(**fields)
        else:
            try:
                self.instance = unit_update(unit=self.instance, **fields)
            except UnitMoveError as error:  # checked in clean_parent; a race at most
                raise forms.ValidationError(str(error)) from error
        return self.instance


def _clean_phone(value: str) -> str:
    value = value.strip()
    if value and (problem := phone_problem(value)):
        raise forms.ValidationError(capfirst(problem))
    return value


class MemberProfileForm(WagtailAdminModelForm):
    """Edits a member: unit, full name, phone and role."""

    role = forms.ChoiceField(label=_("role"), choices=ROLE_CHOICES)

    class Meta:
        model = MemberProfile
        fields = ["full_name", "unit", "phone"]
        field_classes = {"unit": UnitChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _visible_units(self.for_user)
        current = None
        if self.instance.pk:
            names = set(self.instance.user.groups.values_list("name", flat=True))
            current = next(
                (role for role in reversed(roles.ALL_ROLES) if role in names), roles.MEMBERS
            )
            self.fields["role"].initial = current
        self._limit_roles(current)

    def _limit_roles(self, current: str | None) -> None:
        """Offer only the roles the user may give; a role they may not give stays as it is."""
        grantable = roles.grantable_roles(user=self.for_user)
        field = self.fields["role"]
        if current is not None and current not in grantable:
            field.disabled = True
            field.help_text = _(
                "Only an administrator changes this role: it applies to the whole organisation."
            )
            return
        field.choices = [(value, label) for value, label in ROLE_CHOICES if value in grantable]

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def save(self, commit: bool = True) -> MemberProfile:
        data = self.cleaned_data
        return member_update(
            profile=self.instance,
            full_name=data["full_name"],
            unit=data["unit"],
            phone=data["phone"],
            role=data["role"],
        )


class MemberCreateForm(MemberProfileForm):
    """Adds one member; many at once come through the import."""

    username = forms.CharField(
        label=_("username"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    email = forms.EmailField(label=_("e-mail"), required=False)

    field_order = ["username", "full_name", "unit", "role", "email", "phone"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            if self.for_user is None or self.for_user.is_superuser:
                raise forms.ValidationError(_("This username already exists."))
            # Only what the user may see: a username taken elsewhere is "not found".
            visible = members_visible_to(user=self.for_user).filter(user__username__iexact=username)
            if visible.exists():
                raise forms.ValidationError(_("This username already exists in your units."))
            raise forms.ValidationError(
                _("This username cannot be used: it was not found in your units.")
            )
        return username

    def save(self, commit: bool = True) -> MemberProfile:
        data = self.cleaned_data
        user = member_create(
            username=data["username"],
            full_name=data["full_name"],
            unit=data["unit"],
            role=data["role"],
            email=data.get("email", ""),
            phone=data["phone"],
        )
        self.instance = user.profile
        return self.instance


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "Columns: username, full name, unit code, role, e-mail, phone "
            "(or 用户名, 姓名, 单位代码, 角色, 邮箱, 手机). The first row holds the column names."
        ),
    )

    max_bytes = 20 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": self.max_bytes // (1024 * 1024)}
            )
        if PurePath(upload.name).suffix.lower() not in {".csv", ".xlsx", ".txt"}:
            raise forms.ValidationError(_("Only CSV and XLSX files can be imported."))
        return upload
