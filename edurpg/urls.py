from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from sync.ops import api, metrics

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/sync/", api.trigger_sync, name="api-sync"),
    path("api/sync/<slug:source>/", api.trigger_sync, name="api-sync-source"),
    path("api/runs/<uuid:run_id>/", api.run_status, name="api-run"),
    path("api/health/", api.health, name="api-health"),
    path("metrics", metrics.metrics, name="metrics"),
]
