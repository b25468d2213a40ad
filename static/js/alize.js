/* Collapsible main menu on narrow screens. Without this script the menu simply stays open.
   A form sent back with errors: the focus goes to its first refused field (each field shows
   its own error beside it and names it through aria-describedby), opening the <details>
   that holds it; without this script the errors are still beside their fields. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
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
