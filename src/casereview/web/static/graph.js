// The group graph: reads the JSON embedded in the page and draws members and ties with cytoscape.
(function () {
  "use strict";
  function draw(container, group) {
    var elements = group.members.map(function (m) {
      return { data: { id: "p" + m.person_id, label: m.name || "outside your work", role: m.role, visible: !!m.name } };
    });
    group.edges.forEach(function (e) {
      elements.push({ data: { id: "e" + e.source + "-" + e.target, source: "p" + e.source, target: "p" + e.target, weight: e.records } });
    });
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 10, "background-color": "#23395d" } },
        { selector: "node[role = 'victim']", style: { "background-color": "#c77d00" } },
        { selector: "node[role = 'offender']", style: { "background-color": "#b33" } },
        { selector: "edge", style: { "width": "mapData(weight, 1, 10, 1, 6)", "line-color": "#999" } }
      ],
      layout: { name: "cose", animate: false }
    });
    cy.on("tap", "node", function (evt) {
      var node = evt.target;
      if (node.data("visible")) {
        window.location.href = "/persons/" + node.id().slice(1);
      }
    });
    container.setAttribute("data-ready", "true");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("graph");
    if (!container || !window.cytoscape) { return; }
    // The data travels in the page as inert JSON, so viewing the graph is one audited view.
    var data = document.getElementById("graph-data");
    draw(container, JSON.parse(data.textContent));
  });
})();
