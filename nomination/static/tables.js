// Every table scrolls sideways in a wrapper on a narrow screen; a wrapper that scrolls can be
// reached with the keyboard (tabindex 0) and is named after its table, so that a keyboard or
// screen-reader user can scroll it too (WCAG 2.1.1; axe's scrollable-region-focusable).
(function () {
  "use strict";

  function nameOf(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    if (table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    var section = table.closest("section, .card, article");
    var heading = section && section.querySelector("h1, h2, h3, h4, h5, h6, .card-header");
    if (heading && heading.textContent.trim()) return heading.textContent.trim().replace(/\s+/g, " ");
    return document.documentElement.lang === "en" ? "Table" : "表格";
  }

  function wrap(table) {
    var parent = table.parentElement;
    if (parent && parent.classList.contains("table-responsive")) return parent;
    var wrapper = document.createElement("div");
    wrapper.className = "table-responsive";
    parent.insertBefore(wrapper, table);
    wrapper.appendChild(table);
    return wrapper;
  }

  function mark(wrapper) {
    var table = wrapper.querySelector("table");
    if (!table) return;
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      if (!wrapper.hasAttribute("aria-label")) wrapper.setAttribute("aria-label", nameOf(table));
      wrapper.dataset.scrolls = "true";
    } else if (wrapper.dataset.scrolls) {
      wrapper.removeAttribute("tabindex");
      wrapper.removeAttribute("role");
      delete wrapper.dataset.scrolls;
    }
  }

  function markAll() {
    document.querySelectorAll(".table-responsive").forEach(mark);
  }

  function start() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (!table.closest(".table-responsive")) wrap(table);
    });
    markAll();
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(markAll);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
