from silver.definition_urls import urlpatterns as definition_patterns
from silver.transform_urls import urlpatterns as transform_patterns

urlpatterns = [*definition_patterns, *transform_patterns]
