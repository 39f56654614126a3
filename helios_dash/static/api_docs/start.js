// Starts Swagger UI on /api/docs (helios_dash/api/docs.py): a file, not an inline script, so the
// Content-Security-Policy needs no hash. validatorUrl null: never send the document to swagger.io.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
