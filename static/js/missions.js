/* The expert's week grid: arrow keys move between cells, day and row totals follow what is
   typed, and htmx swaps in the grid the server answers even when some cells were refused
   (HTTP 400), so the refused cells show their messages next to the saved ones.
   Without this script the grid is a plain form: Tab moves row by row, the server totals. */
(function () {
  "use strict";

  function number(input) {
    var value = parseFloat((input.value || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", "."));
    return isNaN(value) ? 0 : value;
  }

  function format(value) {
    return (Math.round(value * 100) / 100).toLocaleString(document.documentElement.lang || "fr");
  }

  function retotal(grid) {
    var days = {};
    grid.querySelectorAll("tbody tr[data-row]").forEach(function (row) {
      var total = 0;
      row.querySelectorAll("[data-hours]").forEach(function (cell) {
        var hours = cell.tagName === "INPUT" ? number(cell) : parseFloat(cell.getAttribute("data-hours")) || 0;
        var day = cell.getAttribute("data-day");
        total += hours;
        days[day] = (days[day] || 0) + hours;
      });
      var rowTotal = row.querySelector("[data-row-total]");
      if (rowTotal) {
        rowTotal.textContent = format(total);
      }
    });
    var week = 0;
    grid.querySelectorAll("[data-day-total]").forEach(function (cell) {
      var hours = days[cell.getAttribute("data-day-total")] || 0;
      week += hours;
      cell.textContent = format(hours);
      cell.classList.toggle("over", hours > 12);
    });
    var weekTotal = grid.querySelector("[data-week-total]");
    if (weekTotal) {
      weekTotal.textContent = format(week);
    }
  }

  function move(input, rowStep, columnStep) {
    var grid = input.closest("[data-week-grid]");
    var rows = Array.prototype.slice.call(grid.querySelectorAll("tbody tr[data-row]"));
    var row = input.closest("tr");
    var cells = Array.prototype.slice.call(row.querySelectorAll("td[data-cell]"));
    var column = cells.indexOf(input.closest("td"));
    var rowIndex = rows.indexOf(row);
    for (var step = 1; step <= Math.max(rows.length, cells.length); step++) {
      var targetRow = rows[rowIndex + rowStep * step];
      var targetColumn = column + columnStep * step;
      if (rowStep && !targetRow) {
        return;
      }
      var target = (targetRow || row).querySelectorAll("td[data-cell]")[targetColumn];
      if (!target) {
        return;
      }
      var field = target.querySelector("input:not([disabled])");
      if (field) {
        field.focus();
        field.select();
        return;
      }
    }
  }

  var KEYS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-week-grid] input[data-hours]")) {
      return;
    }
    var step = KEYS[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    move(input, step[0], step[1]);
  });

  document.addEventListener("input", function (event) {
    var grid = event.target.closest && event.target.closest("[data-week-grid]");
    if (grid) {
      retotal(grid);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.hasAttribute("data-swap-refusals")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
