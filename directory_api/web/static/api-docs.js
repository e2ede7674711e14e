// /docs (API_DOCS=true): Swagger UI from our own files, on the OpenAPI document of this server.
(function () {
  "use strict";
  window.SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
})();
