"use strict";
// /api/docs: Swagger UI (vendored swagger-ui-dist) over the server's own OpenAPI document; "Try it out" calls
// carry the session's CSRF header like every other page.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    requestInterceptor: (request) => { request.headers["X-XSRF-TOKEN"] = csrfToken(); return request; },
  });
});
