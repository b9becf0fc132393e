// torrentwatch workbench: keyboard triage, masked names revealed on click, the mask
// setting saved on change. Served as a file (the CSP forbids inline script).
"use strict";
(function () {
  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
  }

  // Masked names: a click (or Enter on the focused name) shows that one name.
  document.addEventListener("click", function (event) {
    var name = event.target.closest && event.target.closest(".masking .name:not(.revealed)");
    if (name) {
      name.classList.add("revealed");
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("autosubmit")) {
      event.target.form.submit();
    }
  });

  var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.row"));
  var current = -1;
  function select(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("current", n === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  function choose(decision) {
    var radio = document.getElementById("decision-" + decision);
    if (!radio) return;
    radio.checked = true;
    var rationale = document.getElementById("rationale");
    if (rationale) {
      // The first rationale code that goes with this decision.
      for (var i = 0; i < rationale.options.length; i++) {
        var fits = rationale.options[i].getAttribute("data-decisions").split(" ");
        if (fits.indexOf(decision) >= 0) { rationale.selectedIndex = i; break; }
      }
      rationale.focus();
    }
  }
  function follow(id) {
    var link = document.getElementById(id);
    if (link) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (rows.length) {
      if (key === "j") { select(current + 1); event.preventDefault(); }
      else if (key === "k") { select(current - 1); event.preventDefault(); }
      else if ((key === "Enter" || key === "o") && current >= 0) {
        window.location.href = rows[current].getAttribute("data-href");
      }
      return;
    }
    if (key === "c") { choose("confirm"); event.preventDefault(); }
    else if (key === "d") { choose("dismiss"); event.preventDefault(); }
    else if (key === "e") { choose("escalate"); event.preventDefault(); }
    else if (key === "n" || key === "j") { follow("next"); }
    else if (key === "p" || key === "k") { follow("prev"); }
    else if (key === "u") { follow("back"); }
  });
})();
