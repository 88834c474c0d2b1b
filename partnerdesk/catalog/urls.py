from django.urls import path

from partnerdesk.catalog import views

app_name = "catalog"

urlpatterns = [
    path("operator/catalog/", views.catalog_home, name="catalog_home"),
    path("operator/catalog/products/<uuid:product_id>/", views.product_detail, name="product_detail"),
    path(
        "operator/catalog/products/<uuid:product_id>/add/<str:what>/", views.product_add, name="product_add"
    ),
    path("operator/catalog/offers/<uuid:offer_id>/", views.offer_detail, name="offer_detail"),
]
