from django.urls import path

from partnerdesk.access.permissions import Permission as P
from partnerdesk.access.web import Mount, in_portals
from partnerdesk.support import reports, views

app_name = "support"

# The pages the portals share, each portal's under its own path and names, with its own permission.
ATTACHMENTS = [
    Mount("admin", "admin/support/files/", "admin_attachment"),
    Mount("partner", "partner/support/files/", "partner_attachment"),
    Mount("operator", "operator/service-requests/files/", "operator_attachment"),
]
READ_ATTACHMENTS = {
    "admin": P.SUPPORT_REQUESTS,
    "partner": P.PARTNER_CENTER,
    "operator": P.SUPPORT_OPERATOR_DESK,
}
# A service request: the partner who filed it, the operator's escalation desk.
SERVICE_REQUESTS = [
    Mount("partner", "partner/service-requests/", "partner_service"),
    Mount("operator", "operator/service-requests/", "operator_service"),
]
SERVICE_QUEUE_STREAMS = [
    Mount("partner", "partner/service-requests/live/", "partner_service_queue_stream"),
    Mount("operator", "operator/service-requests/live/", "operator_queue_stream"),
]
WORK_SERVICE_REQUESTS = {"partner": P.SUPPORT_ESCALATE, "operator": P.SUPPORT_OPERATOR_DESK}
ARTICLES = [
    Mount(portal, f"{portal}/help-articles/", f"{portal}_articles") for portal in ("operator", "partner")
]
SLA = [
    Mount("partner", "partner/support-sla/", "partner_sla"),
    Mount("operator", "operator/support/sla/", "operator_sla"),
]

urlpatterns = [
    # Admin center
    path("admin/support/", views.admin_support, name="admin_support"),
    path("admin/support/new/", views.admin_request_create, name="admin_request_create"),
    path("admin/support/solved/", views.admin_deflect, name="admin_deflect"),
    path("admin/support/<uuid:request_id>/", views.admin_request_detail, name="admin_request_detail"),
    path("admin/support/<uuid:request_id>/live/", views.admin_request_stream, name="admin_request_stream"),
    *in_portals(ATTACHMENTS, "<uuid:attachment_id>/", views.attachment, "", READ_ATTACHMENTS),
    # Partner center
    path("partner/support/", views.partner_queue, name="partner_queue"),
    path("partner/support/live/", views.partner_queue_stream, name="partner_queue_stream"),
    path("partner/saved-views/", views.partner_save_view, name="partner_save_view"),
    path("partner/support-profile/", views.partner_profile, name="partner_profile"),
    path("partner/canned-replies/", views.partner_canned_replies, name="partner_canned_replies"),
    path("partner/support-reports/", reports.partner_reports, name="partner_reports"),
    path("partner/support/<uuid:request_id>/", views.partner_request_detail, name="partner_request_detail"),
    path(
        "partner/support/<uuid:request_id>/live/", views.partner_request_stream, name="partner_request_stream"
    ),
    path(
        "partner/support/<uuid:request_id>/replying/",
        views.partner_request_replying,
        name="partner_request_replying",
    ),
    path("partner/support/<uuid:request_id>/escalate/", views.partner_escalate, name="partner_escalate"),
    path("partner/support-quarantine/", views.partner_quarantine, name="partner_quarantine"),
    path(
        "partner/support-quarantine/<uuid:mail_id>/",
        views.partner_quarantine_detail,
        name="partner_quarantine_detail",
    ),
    path(
        "partner/support-quarantine/<uuid:mail_id>/release/",
        views.partner_quarantine_release,
        name="partner_quarantine_release",
    ),
    path(
        "partner/support-quarantine/<uuid:mail_id>/discard/",
        views.partner_quarantine_discard,
        name="partner_quarantine_discard",
    ),
    path("partner/service-requests/", views.partner_service_queue, name="partner_service_queue"),
    path("partner/service-requests/new/", views.partner_service_create, name="partner_service_create"),
    # Operator console
    path("operator/service-requests/", views.operator_queue, name="operator_queue"),
    path("operator/partner-flags/", views.operator_flags, name="operator_flags"),
    path(
        "operator/partner-flags/<uuid:flag_id>/resolve/",
        views.operator_flag_resolve,
        name="operator_flag_resolve",
    ),
    path("operator/support-topics/", views.operator_topics, name="operator_topics"),
    path("operator/support/reports/", reports.operator_reports, name="operator_reports"),
    # Both the partner center and the operator console
    *in_portals(SERVICE_QUEUE_STREAMS, "", views.service_queue_stream, "", WORK_SERVICE_REQUESTS, only="GET"),
    *in_portals(
        SERVICE_REQUESTS, "<uuid:request_id>/", views.service_detail, "_detail", WORK_SERVICE_REQUESTS
    ),
    *in_portals(
        SERVICE_REQUESTS,
        "<uuid:request_id>/live/",
        views.service_stream,
        "_stream",
        WORK_SERVICE_REQUESTS,
        only="GET",
    ),
    *in_portals(
        SERVICE_REQUESTS,
        "<uuid:request_id>/replying/",
        views.service_replying,
        "_replying",
        WORK_SERVICE_REQUESTS,
        only="POST",
    ),
    *in_portals(ARTICLES, "", views.help_articles, "", P.SUPPORT_ARTICLES_WRITE),
    *in_portals(SLA, "", views.sla_policies, "", P.SUPPORT_SLA_MANAGE),
]
