// Draws every chart of a page: each element with data-spec names the JSON script holding its
// Vega-Lite spec. With `ast`, vega-embed interprets expressions (no eval), as the Content-Security-Policy
// requires.
// A chart drawn wider than its box (a phone, a tablet) takes the box's width instead: Vega-Lite's "container"
// width, which also follows the box when the screen turns.
document.querySelectorAll("[data-spec]").forEach(function (el) {
  var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
  var room = el.clientWidth;
  if (typeof spec.width === "number" && room > 0 && spec.width + 160 > room) {
    spec.width = "container";
    spec.autosize = {type: "fit-x", contains: "padding"};
    spec.config = Object.assign({}, spec.config, {legend: Object.assign({}, (spec.config || {}).legend,
                                                                          {orient: "bottom"})});
    var x = spec.encoding && spec.encoding.x;  // many labels on a narrow axis: upright, so they do not overlap
    if (x && x.axis && x.axis.labelAngle) { x.axis.labelAngle = -90; }
    el.classList.add("fit");
  }
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

// The blueprint form editor: check the form as it is typed (the same checks as `peakend blueprint check`).
(function () {
  var form = document.getElementById("bp-form");
  if (!form) return;
  var box = document.getElementById("live-problems"), list = document.getElementById("problem-list"), timer;
  function check() {
    fetch(form.dataset.check, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(function (j) {
        list.replaceChildren.apply(list, j.problems.map(function (p) {
          var li = document.createElement("li");
          li.textContent = (p.path || "(top)") + ": " + p.message + (p.fix ? " → " + p.fix : "");
          return li;
        }));
        box.hidden = j.problems.length === 0;
      }).catch(console.error);
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 500); });
})();

// Long work computed as a job: follow its progress every second and reload the page once it has ended, so the
// page shows the new result (or why it failed) — unless the reader is already on the way to another page.
var leaving = false;
window.addEventListener("beforeunload", function () { leaving = true; });
document.addEventListener("click", function (e) { if (e.target.closest("a, button")) { leaving = true; } }, true);
document.addEventListener("submit", function () { leaving = true; }, true);
document.querySelectorAll("[data-job]").forEach(function (box) {
  var bar = box.querySelector("progress"), step = box.querySelector(".job-step");
  var timer = setInterval(function () {
    fetch(box.dataset.job, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { clearInterval(timer); return null; }
      return r.json();
    }).then(function (j) {
      if (!j) return;
      if (j.share !== null && j.share !== undefined) { bar.value = j.share; }
      if (step) { step.textContent = j.step || ""; }
      if (["done", "failed", "cancelled"].indexOf(j.state) >= 0) {
        clearInterval(timer);
        if (!leaving) { location.reload(); }
      }
    }).catch(console.error);
  }, 1000);
});

// The frontline inbox: follow its server-sent events and put in the rows that changed, keeping the others as they
// are (a colleague picked in a list stays picked). Without script the page works as well: reload to see more.
(function () {
  var box = document.getElementById("inbox-live");
  if (!box || !window.EventSource) return;
  var note = document.getElementById("inbox-live-note");
  var source = new EventSource(box.dataset.events);
  source.addEventListener("inbox", function (e) {
    var fresh = document.createElement("div");
    fresh.innerHTML = e.data;  // the server's own escaped HTML, as the page itself
    Array.prototype.forEach.call(fresh.querySelectorAll("section[id]"), function (section) {
      var old = document.getElementById(section.id);
      if (!old) { box.appendChild(section); return; }
      if (old.innerHTML === section.innerHTML) return;
      var was = old.querySelector("ul[id]"), now = section.querySelector("ul[id]");
      if (!was || !now || was.id !== now.id) { old.replaceWith(section); return; }
      var kept = {};
      Array.prototype.forEach.call(was.children, function (li) { kept[li.id] = li; });
      was.replaceChildren.apply(was, Array.prototype.map.call(now.children, function (li) {
        var same = kept[li.id];
        return same && same.outerHTML === li.outerHTML ? same : li;
      }));
    });
  });
  source.onopen = function () { if (note) note.hidden = false; };
  source.onerror = function () { if (note) note.hidden = true; };
})();

// A table wider than its box scrolls inside it: say so above it (the box's shadow shows the edge), and again when the
// screen turns; the hint goes when the table fits.
(function () {
  var hint = document.body.dataset.scrollHint;
  function mark() {
    document.querySelectorAll(".scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1, said = box.previousElementSibling;
      var has = said && said.classList.contains("scroll-hint");
      if (wide && !has) {
        var p = document.createElement("p");
        p.className = "scroll-hint";
        p.textContent = hint;
        box.parentNode.insertBefore(p, box);
      } else if (!wide && has) {
        said.remove();
      }
    });
  }
  if (hint) { mark(); window.addEventListener("resize", mark); }
})();
