/* The main menu.
 * - Its sections are disclosure buttons (aria-expanded): a click, Enter or Space opens one
 *   and closes the others; Escape, a click elsewhere or the focus leaving the section closes
 *   it (Escape gives the focus back to its button).
 * - On narrow screens the whole menu folds behind one button.
 * Without this script every section's links show under their heading and the menu stays
 * open: nothing is out of reach.
 *
 * A form sent back with errors: its summary (templates/includes/form_fields.html,
 * role="alert") is announced, and the focus goes to its first refused field (each field shows
 * its own error beside it and names it through aria-describedby), opening the <details> that
 * holds it; the summary takes the focus when no field is refused. Without this script the
 * errors are still beside their fields.
 *
 * Wide tables: each table sits in a box that scrolls sideways; when the table is wider than
 * its box, the box becomes a named region the keyboard can reach (tabindex="0",
 * role="region", named by the table's caption or the heading above it), so arrow keys scroll
 * it (WCAG 2.1.1). Without this script the table itself scrolls (static/css/alize.css). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function sections() {
    return Array.prototype.slice.call(document.querySelectorAll(".topbar .menu-button"));
  }

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function closeAll(except) {
    sections().forEach(function (button) {
      if (button !== except) {
        setOpen(button, false);
      }
    });
  }

  function openSection() {
    return sections().filter(function (button) {
      return button.getAttribute("aria-expanded") === "true";
    })[0];
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var topbar = document.querySelector(".topbar");

    sections().forEach(function (button) {
      button.addEventListener("click", function () {
        var open = button.getAttribute("aria-expanded") !== "true";
        closeAll(button);
        setOpen(button, open);
      });
      var section = button.parentNode;
      var list = document.getElementById(button.getAttribute("aria-controls"));
      section.addEventListener("focusout", function (event) {
        // A drop-down closes when the focus leaves it; on a phone the sections unfold in
        // the page's flow and stay open (closing one would move the next under the finger).
        var dropdown = list && window.getComputedStyle(list).position === "absolute";
        if (dropdown && event.relatedTarget && !section.contains(event.relatedTarget)) {
          setOpen(button, false);
        }
      });
    });

    document.addEventListener("click", function (event) {
      if (!event.target.closest || !event.target.closest(".menu-section")) {
        closeAll(null);
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      var open = openSection();
      if (open) {
        setOpen(open, false);
        open.focus();
      } else if (toggle && topbar && topbar.classList.contains("menu-open")) {
        toggle.setAttribute("aria-expanded", "false");
        topbar.classList.remove("menu-open");
        toggle.focus();
      }
    });

    if (!toggle || !topbar) {
      return;
    }
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      topbar.classList.toggle("menu-open", open);
    });
  });

  var REFUSED_FIELD =
    "form[method=post i] [aria-invalid=true], form[method=post i] .field.has-error";

  function focusFirstRefusal(root) {
    var refused = root.querySelector(REFUSED_FIELD);
    if (!refused) {
      var summary = root.querySelector(
        "[data-error-summary], form[method=post i] .errorlist.nonfield"
      );
      if (summary) {
        summary.setAttribute("tabindex", "-1");
        summary.focus();
      }
      return;
    }
    if (!refused.matches("input, select, textarea, button")) {
      var field = refused.querySelector("input:not([type=hidden]), select, textarea");
      if (field) {
        refused = field;
      } else {
        refused.setAttribute("tabindex", "-1");
      }
    }
    for (var node = refused.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
    refused.focus();
    refused.scrollIntoView({ block: "center" });
  }

  /* A form whose fieldsets depend on a choice (data-kind-field="kind" on the form,
     data-kinds="a b" on each fieldset): only the fieldsets of the chosen value show, and
     the hidden ones are disabled, so they are not sent. Without this script every fieldset
     shows, its legend saying what it is for, and the server ignores what does not apply. */
  function showKindFieldsets(form) {
    var select = form.elements[form.getAttribute("data-kind-field")];
    if (!select) {
      return;
    }
    form.querySelectorAll("fieldset[data-kinds]").forEach(function (fieldset) {
      var kinds = fieldset.getAttribute("data-kinds").split(" ");
      var shown = !select.value || kinds.indexOf(select.value) !== -1;
      fieldset.hidden = !shown;
      fieldset.disabled = !shown;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-kind-field]").forEach(showKindFieldsets);
  });

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-kind-field") &&
        event.target.name === form.getAttribute("data-kind-field")) {
      showKindFieldsets(form);
    }
  });

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

  document.addEventListener("DOMContentLoaded", function () {
    scrollingTables();
    focusFirstRefusal(document);
    window.addEventListener("resize", later);
    document.addEventListener("htmx:afterSettle", function (event) {
      scrollingTables();
      if (event.detail.elt && event.detail.elt.isConnected) {
        focusFirstRefusal(event.detail.elt);
      }
    });
    document.addEventListener("toggle", later, true);
  });
})();
