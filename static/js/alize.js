/* The main menu.
 * - Its sections are disclosure buttons (aria-expanded): a click, Enter or Space opens one
 *   and closes the others; Escape, a click elsewhere or the focus leaving the section closes
 *   it (Escape gives the focus back to its button).
 * - On narrow screens the whole menu folds behind one button.
 * Without this script every section's links show under their heading and the menu stays
 * open: nothing is out of reach.
 * A form sent back with errors: the focus goes to its first refused field (each field shows
 * its own error beside it and names it through aria-describedby), opening the <details>
 * that holds it; without this script the errors are still beside their fields. */
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

  var REFUSED =
    "form[method=post i] [aria-invalid=true], form[method=post i] .errorlist.nonfield, " +
    "form[method=post i] .field.has-error";

  function focusFirstRefusal() {
    var refused = document.querySelector(REFUSED);
    if (!refused) {
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

  document.addEventListener("DOMContentLoaded", focusFirstRefusal);

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
})();
