// The dashboard: draws the numbers of #dashboard-data (serve/dashboard.h) with Chart.js.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('dashboard-data').textContent);
  const palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777',
                   '#65a30d', '#ea580c', '#475569'];
  const number = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en'));
  const bytes = (n) => {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let v = Number(n), u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return (u === 0 ? v : v.toFixed(1)) + ' ' + units[u];
  };
  const cell = (row, text, cls) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
  };

  document.getElementById('generated').textContent =
      'as of ' + data.generated + ' · ' + data.lake;
  const totals = document.getElementById('totals');
  for (const [label, value] of [['studies', data.totals.studies], ['series', data.totals.series],
                                ['instances', data.totals.instances],
                                ['patients', data.totals.patients],
                                ['namespaces', data.totals.namespaces],
                                ['failed files', data.totals.failures]]) {
    const card = document.createElement('div');
    card.className = 'card';
    card.innerHTML = '<div class="value"></div><div class="label"></div>';
    card.querySelector('.value').textContent = number(value);
    card.querySelector('.label').textContent = label;
    totals.appendChild(card);
  }

  const chart = (id, type, labels, values, label, extra) => {
    if (typeof Chart === 'undefined') return null;  // the tables still show the numbers
    return new Chart(document.getElementById(id), Object.assign({
      type: type,
      data: { labels: labels, datasets: [{ label: label, data: values,
              backgroundColor: type === 'doughnut' ? palette : palette[0],
              borderColor: type === 'line' ? palette[0] : undefined }] },
      options: { animation: false, responsive: true, maintainAspectRatio: true,
                 plugins: { legend: { display: type === 'doughnut' } } },
    }, extra || {}));
  };
  chart('modalities', 'bar', data.modalities.map((m) => m.name),
        data.modalities.map((m) => m.studies), 'studies');
  chart('months', 'bar', data.months.map((m) => m.month), data.months.map((m) => m.studies),
        'studies');
  chart('namespaces', 'doughnut', data.namespaces.map((n) => n.name),
        data.namespaces.map((n) => n.instances), 'instances');
  if (data.failures.length === 0) {
    document.getElementById('failures').hidden = true;
    document.getElementById('no-failures').hidden = false;
  } else {
    chart('failures', 'bar', data.failures.map((f) => f.reason.slice(0, 60)),
          data.failures.map((f) => f.count), 'files',
          { options: { indexAxis: 'y', animation: false, plugins: { legend: { display: false } } } });
  }
  const runs = data.runs.slice().reverse();
  chart('runs', 'bar', runs.map((r) => r.activity), runs.map((r) => r.seconds), 'seconds');

  const failureBody = document.querySelector('#failure-table tbody');
  for (const f of data.failures) {
    const tr = failureBody.insertRow();
    cell(tr, f.stage); cell(tr, f.reason); cell(tr, number(f.count), 'n');
  }
  const tableBody = document.querySelector('#table-table tbody');
  for (const t of data.tables) {
    const tr = tableBody.insertRow();
    cell(tr, t.lakehouse + '.' + t.table); cell(tr, number(t.version), 'n');
    cell(tr, number(t.files), 'n'); cell(tr, number(t.rows), 'n'); cell(tr, bytes(t.bytes), 'n');
  }
  const runBody = document.querySelector('#run-table tbody');
  for (const r of data.runs) {
    const tr = runBody.insertRow();
    cell(tr, r.at); cell(tr, r.activity); cell(tr, r.status, 'status-' + r.status);
    cell(tr, number(r.records), 'n'); cell(tr, Number(r.seconds).toFixed(2), 'n');
  }
  document.body.dataset.ready = 'true';
})();
