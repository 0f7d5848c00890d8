// Shows this stack's OpenAPI document with Swagger UI (vendored: swagger-ui-dist, Apache-2.0).
// The document lists no servers; "Try it out" must call this stack, stage prefix included
// (/dev/docs/ -> /dev), so the base is taken from where this page is served.
"use strict";
(function () {
  var base = location.pathname.replace(/\/docs\/?(index\.html)?$/, "");
  fetch("../openapi.json", { credentials: "same-origin" })
    .then(function (answer) { return answer.json(); })
    .then(function (spec) {
      spec.servers = [{ url: location.origin + base }];
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: "#ui",
        deepLinking: true,
        validatorUrl: null,            // never ask validator.swagger.io about our document
        persistAuthorization: false,   // the token stays in memory, as in the console
        tryItOutEnabled: false,
      });
    })
    .catch(function () {
      document.getElementById("ui").textContent = "openapi.json could not be read · 无法读取 openapi.json";
    });
})();
