// Draws every chart of a page: each element with data-spec names the JSON script holding its
// Vega-Lite spec. With `ast`, vega-embed interprets expressions (no eval), as the Content-Security-Policy
// requires.
document.querySelectorAll("[data-spec]").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
  vegaEmbed(el, spec, {renderer: "svg", actions: false, ast: true})
    .catch(console.error);
});

// An import running: ask for its progress every second, and show the result page when it is done.
(function () {
  var box = document.getElementById("import-status");
  if (!box || box.dataset.status !== "running") return;
  var bar = document.getElementById("import-progress");
  var timer = setInterval(function () {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (j) {
      bar.max = j.total_bytes || 1;
      bar.value = j.done_bytes;
      if (j.status !== "running") { clearInterval(timer); location.reload(); }
    }).catch(console.error);
  }, 1000);
})();
