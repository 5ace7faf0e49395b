// Registration form: show the chosen city's officers, and the organisation fields for "other".
(function () {
  "use strict";
  function update(form) {
    var city = form.querySelector("select[name=city]");
    if (!city) { return; }
    var value = city.value;
    var officerBox = form.querySelector("#officer-choice");
    var otherBox = form.querySelector("#other-organisation");
    var anyOfficers = false;
    form.querySelectorAll(".officer-group").forEach(function (group) {
      var match = group.getAttribute("data-city") === value;
      group.hidden = !match;
      anyOfficers = anyOfficers || match;
      if (!match) {
        group.querySelectorAll("input[type=radio]").forEach(function (radio) {
          if (radio.checked) {
            radio.checked = false;
            var none = form.querySelector("#officer_id-none");
            if (none) { none.checked = true; }
          }
        });
      }
    });
    if (officerBox) { officerBox.hidden = !anyOfficers; }
    if (otherBox) { otherBox.hidden = value !== "other"; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      var city = form.querySelector("select[name=city]");
      if (!city) { return; }
      city.addEventListener("change", function () { update(form); });
      update(form);
    });
  });
})();
