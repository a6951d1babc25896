// Draws every chart of a page: each element with data-spec names the JSON script holding its
// Vega-Lite spec. With `ast`, vega-embed interprets expressions (no eval), as the Content-Security-Policy
// requires.
document.querySelectorAll("[data-spec]").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
  vegaEmbed(el, spec, {renderer: "svg", actions: false, ast: true})
    .catch(console.error);
});
