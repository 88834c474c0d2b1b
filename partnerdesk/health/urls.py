from django.urls import path

from partnerdesk.health import graph, views

GRAPH = "graph/v1.0/admin/serviceAnnouncement"

app_name = "health"

urlpatterns = [
    # Operator console
    path("operator/health/", views.operator_health, name="operator_health"),
    path("operator/health/services/", views.operator_services, name="operator_services"),
    path(
        "operator/health/services/<uuid:service_id>/features/",
        views.operator_feature_add,
        name="operator_feature_add",
    ),
    path("operator/health/regions/", views.operator_region_add, name="operator_region_add"),
    path("operator/health/issues/new/", views.issue_create, name="issue_create"),
    path("operator/health/issues/<uuid:issue_id>/", views.operator_issue, name="operator_issue"),
    path(
        "operator/health/issues/<uuid:issue_id>/<str:action>/",
        views.operator_issue_action,
        name="operator_issue_action",
    ),
    path("operator/health/maintenance/new/", views.maintenance_create, name="maintenance_create"),
    path(
        "operator/health/maintenance/<uuid:maintenance_id>/",
        views.maintenance_detail,
        name="maintenance_detail",
    ),
    path("operator/messages/", views.operator_messages, name="operator_messages"),
    path("operator/messages/new/", views.message_create, name="message_create"),
    path("operator/messages/<uuid:message_id>/", views.operator_message, name="operator_message"),
    # Admin center
    path("admin/health/", views.admin_health, name="admin_health"),
    path("admin/health/issues/<uuid:issue_id>/", views.admin_issue, name="admin_issue"),
    path("admin/health/services/<uuid:service_id>/", views.admin_service, name="admin_service"),
    path("admin/health/feed/", views.admin_feed, name="admin_feed"),
    path("admin/messages/", views.admin_messages, name="admin_messages"),
    path("admin/messages/state/", views.admin_message_state, name="admin_message_state"),
    path("admin/messages/preferences/", views.admin_preferences, name="admin_preferences"),
    path("admin/messages/<uuid:message_id>/", views.admin_message, name="admin_message"),
    path(
        "admin/messages/<uuid:message_id>/attachments/<uuid:attachment_id>/",
        views.admin_message_attachment,
        name="admin_message_attachment",
    ),
    # Partner center
    path("partner/health/", views.partner_health, name="partner_health"),
    path("partner/health/issues/<uuid:issue_id>/", views.partner_issue, name="partner_issue"),
    path("partner/health/messages/<uuid:message_id>/", views.partner_message, name="partner_message"),
    path(
        "partner/health/customers/<uuid:customer_id>/",
        views.partner_customer_health,
        name="partner_customer_health",
    ),
    # Microsoft Graph-compatible surface (bearer tokens; see partnerdesk.health.graph)
    path(f"{GRAPH}/messages", graph.messages, name="graph_messages"),
    path(f"{GRAPH}/messages/<str:action>", graph.message_action_or_item, name="graph_message"),
    path(
        f"{GRAPH}/messages/<str:message_id>/attachments", graph.message_attachments, name="graph_attachments"
    ),
    path(
        f"{GRAPH}/messages/<str:message_id>/attachments/<str:attachment_id>",
        graph.message_attachment,
        name="graph_attachment",
    ),
    path(
        f"{GRAPH}/messages/<str:message_id>/attachments/<str:attachment_id>/$value",
        graph.message_attachment_value,
        name="graph_attachment_value",
    ),
    path(
        f"{GRAPH}/messages/<str:message_id>/attachmentsArchive",
        graph.message_attachments_archive,
        name="graph_attachments_archive",
    ),
    path(f"{GRAPH}/issues", graph.issues, name="graph_issues"),
    path(f"{GRAPH}/issues/<str:issue_id>", graph.issue, name="graph_issue"),
    path(
        f"{GRAPH}/issues/<str:issue_id>/incidentReport", graph.incident_report, name="graph_incident_report"
    ),
    path(f"{GRAPH}/healthOverviews", graph.health_overviews, name="graph_health_overviews"),
    path(f"{GRAPH}/healthOverviews/<str:service_name>", graph.health_overview, name="graph_health_overview"),
    path(
        f"{GRAPH}/healthOverviews/<str:service_name>/issues",
        graph.health_overview_issues,
        name="graph_health_overview_issues",
    ),
    # The tenant's Atom feed: the secret token in the URL is the credential.
    path("feeds/health/<str:token>/", views.feed, name="feed"),
]
