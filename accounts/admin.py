from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "language", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email", "first_name", "last_name")
    list_filter = ("groups", "is_active", "is_staff", "language")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("ChannelHub"), {"fields": ("display_name", "phone", "language")}),
    )
