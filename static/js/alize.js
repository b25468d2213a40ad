/* Collapsible main menu on narrow screens (Escape closes it and gives the focus back to its
   button). Without this script the menu simply stays open.

   A refused form's error summary (templates/includes/form_fields.html) takes the focus, so
   the keyboard and screen readers start from the list of what to correct.

   Wide tables: each table sits in a box that scrolls sideways; when the table is wider than
   its box, the box becomes a named region the keyboard can reach (tabindex="0", role="region",
   named by the table's caption or the heading above it), so arrow keys scroll it (WCAG 2.1.1).
   Without this script the table itself scrolls (static/css/alize.css). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    var topbar = document.querySelector(".topbar");
    if (!toggle || !topbar) {
      return;
    }
    function show(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      topbar.classList.toggle("menu-open", open);
    }
    toggle.addEventListener("click", function () {
      show(toggle.getAttribute("aria-expanded") !== "true");
    });
    topbar.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        show(false);
        toggle.focus();
      }
    });
  }

  var named = 0;

  function labelOf(table) {
    /* The id of the text naming the table: its caption, else the nearest heading before it. */
    var source = table.querySelector("caption");
    if (!source) {
      var headings = document.querySelectorAll("main h1, main h2, main h3, main h4");
      for (var i = headings.length - 1; i >= 0; i--) {
        if (headings[i].compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) {
          source = headings[i];
          break;
        }
      }
    }
    if (!source) {
      return null;
    }
    if (!source.id) {
      named += 1;
      source.id = "table-name-" + named;
    }
    return source.id;
  }

  function boxOf(table) {
    var parent = table.parentElement;
    if (parent.classList.contains("table-scroll")) {
      return parent;
    }
    if (parent.classList.contains("grid-scroll")) {
      parent.classList.add("table-scroll");
      return parent;
    }
    var box = document.createElement("div");
    box.className = "table-scroll";
    parent.insertBefore(box, table);
    box.appendChild(table);
    return box;
  }

  function scrollingTables() {
    document.querySelectorAll("main table.table").forEach(function (table) {
      var box = boxOf(table);
      var label = box.scrollWidth > box.clientWidth + 1 ? labelOf(table) : null;
      if (label) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-labelledby", label);
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-labelledby");
      }
    });
  }

  var pending = null;
  function later() {
    window.clearTimeout(pending);
    pending = window.setTimeout(scrollingTables, 150);
  }

  function focusErrors(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    scrollingTables();
    focusErrors(document);
    window.addEventListener("resize", later);
    document.addEventListener("htmx:afterSettle", function (event) {
      scrollingTables();
      if (event.detail.elt && event.detail.elt.isConnected) {
        focusErrors(event.detail.elt);
      }
    });
    document.addEventListener("toggle", later, true);
  });
})();
