/**
 * The pages' one script, served as a same-origin file (the CSP allows `script-src 'self'` and
 * nothing inline). Everything works without it; it only makes the editor tidier: each
 * condition's operators narrowed to its property's type as the property is typed, and the
 * filter's and the transformation's parts shown for the kind chosen.
 */
export const PAGE_SCRIPT = `'use strict';
(function () {
  function typeOf(path) {
    var list = document.getElementById('filter-properties');
    if (!list) return undefined;
    var found;
    Array.prototype.forEach.call(list.options, function (option) {
      var value = option.value;
      if (value === path || (value.slice(-1) === '.' && path.indexOf(value) === 0 && path.length > value.length)) {
        found = option.getAttribute('data-type');
      }
    });
    return found;
  }
  function narrow(row) {
    var property = row.querySelector('input[name$=".property"]');
    var select = row.querySelector('select[name$=".operator"]');
    if (!property || !select) return;
    var type = typeOf(property.value.trim());
    Array.prototype.forEach.call(select.options, function (option) {
      var types = option.getAttribute('data-types');
      option.hidden = Boolean(type && types && types.split(' ').indexOf(type) < 0);
    });
  }
  function showParts(form) {
    var mode = form.querySelector('input[name="filter_mode"]:checked');
    var json = mode && mode.value === 'json';
    toggle(form.querySelector('.filter-rows'), !json);
    toggle(form.querySelector('.filter-json'), json);
    var kind = form.querySelector('select[name="transformation"]');
    var value = kind ? kind.value : 'none';
    toggle(form.querySelector('.transformation-mapping'), value === 'mapping');
    toggle(form.querySelector('.transformation-code'), value === 'javascript' || value === 'python');
  }
  function toggle(element, shown) {
    if (element) element.hidden = !shown;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form.editor');
    if (!form) return;
    Array.prototype.forEach.call(form.querySelectorAll('.condition'), narrow);
    showParts(form);
    form.addEventListener('input', function (event) {
      var row = event.target.closest && event.target.closest('.condition');
      if (row) narrow(row);
    });
    form.addEventListener('change', function () {
      showParts(form);
    });
  });
})();
`;
