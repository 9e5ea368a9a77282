"""The admin's console: "Test connection", "Sync now", "Save and test", and live run progress.

`admin_view` only checks that the user is active staff and adds CSRF protection, so every view
here checks the permission itself (403) and finds its object through the admin's tenant-scoped
queryset (404 for another tenant's). Buttons are POSTs; the work is `sync.console.manual`'s.
"""

import uuid
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from sync.console import manual
from sync.console.run_progress import live_state
from sync.models import SyncRun

RUN_SYNC = "tenants.run_sync"
TEST_CONNECTION = "tenants.test_connection"
POLLED_RUNS_MAX = 100


def run_url(run: SyncRun) -> str:
    return reverse("admin:sync_syncrun_change", args=[run.pk])


def runs_url(**filters) -> str:
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return reverse("admin:sync_syncrun_changelist") + (f"?{query}" if query else "")


def scoped_object(model_admin, request, object_id, permission: str):
    """The object, if the user holds `permission` (else 403) and may see it (else 404)."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    obj = model_admin.get_object(request, object_id)  # through the tenant-scoped queryset
    if obj is None:
        raise Http404
    return obj


# Telling what happened


def report_tests(request, connections) -> None:
    connections = list(connections)
    if not connections:
        messages.info(request, "There is no connection to test.")
    for connection in connections:
        diagnosis = manual.test_connection(connection)
        level = messages.SUCCESS if diagnosis.ok else messages.ERROR
        messages.add_message(request, level, f"Test of {connection} {manual.verdict(diagnosis)}")
        for account, diagnosis in manual.test_accounts(connection):
            level = messages.SUCCESS if diagnosis.ok else messages.ERROR
            verdict = manual.verdict(diagnosis)
            messages.add_message(
                request, level, f"Test of {connection}, account {account} {verdict}"
            )


def report_sync(request, outcome: manual.SyncRequest) -> None:
    for run in outcome.runs:
        messages.success(
            request,
            format_html(
                'Sync of {} queued as <a href="{}">run {}</a>; it runs in the background.',
                run.connection,
                run_url(run),
                str(run.pk)[:8],
            ),
        )
    for connection in outcome.busy:
        messages.warning(request, f"{connection} is already syncing; no second run was started.")
    for connection in outcome.disabled:
        messages.warning(
            request,
            f"{connection} is disabled or its tenant is inactive; no sync was started.",
        )


def after_sync(outcome: manual.SyncRequest, fallback: str) -> HttpResponseRedirect:
    """To the run's page; to the list of runs when there are several; else back."""
    if len(outcome.runs) == 1:
        return HttpResponseRedirect(run_url(outcome.runs[0]))
    if outcome.runs:
        return HttpResponseRedirect(runs_url(id__in=",".join(str(r.pk) for r in outcome.runs)))
    if len(outcome.busy) == 1 and (running := manual.current_run(outcome.busy[0])):
        return HttpResponseRedirect(run_url(running))
    return HttpResponseRedirect(fallback)


# The buttons


def change_url(model_admin, obj) -> str:
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@require_POST
def test_view(request, model_admin, object_id):
    obj = scoped_object(model_admin, request, object_id, TEST_CONNECTION)
    report_tests(request, model_admin.connections_of(obj))
    return HttpResponseRedirect(change_url(model_admin, obj))


@require_POST
def sync_view(request, model_admin, object_id):
    obj = scoped_object(model_admin, request, object_id, RUN_SYNC)
    outcome = manual.sync_now(model_admin.connections_of(obj), request.user)
    report_sync(request, outcome)
    return after_sync(outcome, change_url(model_admin, obj))


def object_urls(model_admin, **views) -> list:
    """`<pk>/<name>/` for each view, behind the admin's login and CSRF protection."""
    opts = model_admin.opts
    return [
        path(
            f"<path:object_id>/{name}/",
            model_admin.admin_site.admin_view(partial(view, model_admin=model_admin)),
            name=f"{opts.app_label}_{opts.model_name}_{name}",
        )
        for name, view in views.items()
    ]


class ConsoleAdmin:
    """Mixin for the admin of objects that have connections (a connection, a tenant).

    Subclasses say which connections an object or a selection means.
    """

    def connections_of(self, obj):
        raise NotImplementedError

    def connections_in(self, queryset):
        raise NotImplementedError

    def get_urls(self):
        return object_urls(self, test=test_view, sync=sync_view) + super().get_urls()

    def has_run_sync_permission(self, request) -> bool:
        return request.user.has_perm(RUN_SYNC)

    def has_test_connection_permission(self, request) -> bool:
        return request.user.has_perm(TEST_CONNECTION)

    @admin.action(
        permissions=["test_connection"],
        description="Test the connections of the selected %(verbose_name_plural)s",
    )
    def test_selected(self, request, queryset):
        report_tests(request, self.connections_in(queryset))

    @admin.action(
        permissions=["run_sync"], description="Sync the selected %(verbose_name_plural)s now"
    )
    def sync_selected(self, request, queryset):
        outcome = manual.sync_now(self.connections_in(queryset), request.user)
        report_sync(request, outcome)
        return after_sync(outcome, request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        saving_to_test = request.method == "POST" and "_saveandtest" in request.POST
        if saving_to_test and not self.has_test_connection_permission(request):
            raise PermissionDenied
        return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["console"] = self.console_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def console_context(self, request, obj) -> dict:
        opts = self.opts
        console = {
            "can_test": self.has_test_connection_permission(request),
            "can_sync": False,
            "running": [],
        }
        if obj is None:
            return console
        connections = list(self.connections_of(obj))
        if connections:
            base = f"admin:{opts.app_label}_{opts.model_name}"
            console.update(
                can_sync=self.has_run_sync_permission(request),
                test_url=reverse(f"{base}_test", args=[obj.pk]),
                sync_url=reverse(f"{base}_sync", args=[obj.pk]),
                running=[run for c in connections if (run := manual.current_run(c))],
            )
        if request.user.has_perm("sync.view_syncrun"):
            console["history_url"] = self.history_url(obj)
        return console

    def history_url(self, obj) -> str:
        raise NotImplementedError

    def response_add(self, request, obj, post_url_continue=None):
        if "_saveandtest" in request.POST:
            return self.saved_and_tested(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_saveandtest" in request.POST:
            return self.saved_and_tested(request, obj)
        return super().response_change(request, obj)

    def saved_and_tested(self, request, obj):
        self.message_user(request, f"{obj} was saved.", messages.SUCCESS)
        report_tests(request, self.connections_of(obj))
        return HttpResponseRedirect(change_url(self, obj))


@require_GET
def progress_view(request, model_admin):
    """JSON: the live state of the runs named by `?id=`, among those the user may see."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    ids = []
    for value in request.GET.getlist("id")[:POLLED_RUNS_MAX]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    runs = model_admin.get_queryset(request).filter(pk__in=ids).select_related("connection")
    return JsonResponse({"runs": [live_state(run) for run in runs]})
