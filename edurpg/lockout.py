"""What a login refused for too many failures shows: the admin's login page, saying why."""

from axes.helpers import get_client_username, get_cool_off
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The login form again, with one line on why and for how long (django-axes calls this)."""
    username = get_client_username(request, credentials) or ""
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "app_path": request.get_full_path(),
        "form": AdminAuthenticationForm(request, initial={"username": username}),
        REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index"),
        "lockout": lockout_message(request),
    }
    return render(request, "admin/locked_out.html", context, status=429)


def lockout_message(request: HttpRequest) -> str:
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    wait = ngettext("%d minute", "%d minutes", minutes) % minutes
    return f"Too many failed logins for this user from your address: try again in {wait}."
