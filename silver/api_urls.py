from silver.definition_api_urls import urlpatterns as definition_patterns
from silver.transform_api_urls import urlpatterns as transform_patterns

urlpatterns = [*definition_patterns, *transform_patterns]
