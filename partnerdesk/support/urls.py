from django.urls import path

from partnerdesk.support import reports, views

app_name = "support"

urlpatterns = [
    # Admin center
    path("admin/support/", views.admin_support, name="admin_support"),
    path("admin/support/new/", views.admin_request_create, name="admin_request_create"),
    path("admin/support/solved/", views.admin_deflect, name="admin_deflect"),
    path("admin/support/<uuid:request_id>/", views.admin_request_detail, name="admin_request_detail"),
    path("admin/support/<uuid:request_id>/live/", views.admin_request_stream, name="admin_request_stream"),
    path("admin/support/files/<uuid:attachment_id>/", views.admin_attachment, name="admin_attachment"),
    # Partner center
    path("partner/support/", views.partner_queue, name="partner_queue"),
    path("partner/support/live/", views.partner_queue_stream, name="partner_queue_stream"),
    path("partner/saved-views/", views.partner_save_view, name="partner_save_view"),
    path("partner/support-profile/", views.partner_profile, name="partner_profile"),
    path("partner/canned-replies/", views.partner_canned_replies, name="partner_canned_replies"),
    path("partner/help-articles/", views.partner_articles, name="partner_articles"),
    path("partner/support-reports/", reports.partner_reports, name="partner_reports"),
    path("partner/support-sla/", views.partner_sla, name="partner_sla"),
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
    path("partner/support/files/<uuid:attachment_id>/", views.partner_attachment, name="partner_attachment"),
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
    path(
        "partner/service-requests/live/",
        views.partner_service_queue_stream,
        name="partner_service_queue_stream",
    ),
    path("partner/service-requests/new/", views.partner_service_create, name="partner_service_create"),
    path(
        "partner/service-requests/<uuid:request_id>/",
        views.partner_service_detail,
        name="partner_service_detail",
    ),
    path(
        "partner/service-requests/<uuid:request_id>/live/",
        views.partner_service_stream,
        name="partner_service_stream",
    ),
    path(
        "partner/service-requests/<uuid:request_id>/replying/",
        views.partner_service_replying,
        name="partner_service_replying",
    ),
    # Operator console
    path("operator/service-requests/", views.operator_queue, name="operator_queue"),
    path("operator/service-requests/live/", views.operator_queue_stream, name="operator_queue_stream"),
    path(
        "operator/service-requests/<uuid:request_id>/",
        views.operator_service_detail,
        name="operator_service_detail",
    ),
    path(
        "operator/service-requests/<uuid:request_id>/live/",
        views.operator_service_stream,
        name="operator_service_stream",
    ),
    path(
        "operator/service-requests/<uuid:request_id>/replying/",
        views.operator_service_replying,
        name="operator_service_replying",
    ),
    path(
        "operator/service-requests/files/<uuid:attachment_id>/",
        views.operator_attachment,
        name="operator_attachment",
    ),
    path("operator/partner-flags/", views.operator_flags, name="operator_flags"),
    path(
        "operator/partner-flags/<uuid:flag_id>/resolve/",
        views.operator_flag_resolve,
        name="operator_flag_resolve",
    ),
    path("operator/support-topics/", views.operator_topics, name="operator_topics"),
    path("operator/help-articles/", views.operator_articles, name="operator_articles"),
    path("operator/support/reports/", reports.operator_reports, name="operator_reports"),
    path("operator/support/sla/", views.operator_sla, name="operator_sla"),
]
