// The API's documentation page: Swagger UI over /api/v1/openapi.json, from this server only (no CDN).
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null
  });
});
