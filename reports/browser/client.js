// The browser side of a report: reads the inlined chart specs (reports/charts.ts) and draws
// them with Chart.js, plus two small plugins Chart.js lacks: CI whiskers and ⚠ marks on
// CPU-bound values. Plain ES2017 with no imports, so the page needs no bundler and no
// network: reports/assets.ts reads this file and the renderer inlines it.
(function () {
  'use strict';
  document.addEventListener('beforeprint', openDetails);
  window.addEventListener('beforeprint', openDetails);
  function openDetails() {
    var ds = document.querySelectorAll('details');
    for (var i = 0; i < ds.length; i++) ds[i].open = true;
    charts.forEach(function (c) { c.resize(); });
  }
  var charts = [];
  var data = document.getElementById('bench-charts');
  if (!data || typeof Chart === 'undefined') return;
  var specs = JSON.parse(data.textContent || '[]');
  // Sentences set by the renderer, e.g. what a CPU-bound mark stands for (reports/style.ts).
  var textEl = document.getElementById('bench-text');
  var cpuBoundText = (textEl ? JSON.parse(textEl.textContent || '{}') : {}).cpuBound || '';

  function fmt(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a === 0) return '0';
    var d = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(a))));
    var t = v.toFixed(d);
    return t.indexOf('.') >= 0 ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
  }
  // Percentile of a nines-scale value: 1 -> "90", 2 -> "99", 3 -> "99.9".
  function pct(y) {
    var p = (1 - Math.pow(10, -y)) * 100;
    var d = Math.max(0, Math.ceil(y) - 2);
    return p.toFixed(d);
  }
  function rgba(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  var patterns = {};
  // Hatching survives greyscale printing, unlike a colour change.
  function hatch(color) {
    if (patterns[color]) return patterns[color];
    var c = document.createElement('canvas');
    c.width = c.height = 8;
    var x = c.getContext('2d');
    x.fillStyle = rgba(color, 0.18);
    x.fillRect(0, 0, 8, 8);
    x.strokeStyle = color;
    x.lineWidth = 2;
    x.beginPath();
    x.moveTo(0, 8); x.lineTo(8, 0);
    x.moveTo(-2, 2); x.lineTo(2, -2);
    x.moveTo(6, 10); x.lineTo(10, 6);
    x.stroke();
    return (patterns[color] = x.createPattern(c, 'repeat'));
  }
  function clampY(chart, px) {
    var a = chart.chartArea;
    return Math.min(a.bottom, Math.max(a.top, px));
  }
  var errorBars = {
    id: 'benchErrorBars',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.benchErrorBars || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (el, j) {
          var e = ds.benchErrorBars[j];
          if (!e) return;
          var lo = clampY(chart, y.getPixelForValue(e[0] > 0 || y.type !== 'logarithmic' ? e[0] : y.min));
          var hi = clampY(chart, y.getPixelForValue(e[1]));
          if (!isFinite(lo) || !isFinite(hi)) return;
          var w = el.width ? Math.max(3, Math.min(el.width / 4, 8)) : 5;
          ctx.save();
          ctx.strokeStyle = '#1f2328';
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(el.x, lo); ctx.lineTo(el.x, hi);
          ctx.moveTo(el.x - w, lo); ctx.lineTo(el.x + w, lo);
          ctx.moveTo(el.x - w, hi); ctx.lineTo(el.x + w, hi);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  var cpuMarks = {
    id: 'benchCpuMarks',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.benchCpu || !chart.isDatasetVisible(i)) return;
        chart.getDatasetMeta(i).data.forEach(function (el, j) {
          if (!ds.benchCpu[j]) return;
          var top = el.y;
          var e = ds.benchErrorBars && ds.benchErrorBars[j];
          if (e) top = Math.min(top, clampY(chart, y.getPixelForValue(e[1])));
          ctx.save();
          ctx.font = 'bold 14px system-ui, sans-serif';
          ctx.fillStyle = '#9a6700';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          ctx.fillText('⚠', el.x, Math.max(chart.chartArea.top + 14, top - 3));
          ctx.restore();
        });
      });
    }
  };
  function flag(arr, j) { return !!(arr && arr[j]); }
  function dataset(s, d) {
    var bar = s.type === 'bar' && !d.asLine;
    var cpu = d.cpuBound && d.cpuBound.some(Boolean);
    var o = {
      label: d.label + (cpu ? ' ⚠ CPU-bound' : ''),
      data: d.data,
      borderColor: d.color,
      benchErrorBars: d.errorBars,
      benchErrorConf: d.errorBarConfidence,
      benchCpu: d.cpuBound,
      benchNotes: d.notes
    };
    if (bar) {
      o.type = 'bar';
      o.borderWidth = 1;
      o.backgroundColor = function (c) { return c.dataIndex != null && flag(d.cpuBound, c.dataIndex) ? hatch(d.color) : rgba(d.color, 0.75); };
      return o;
    }
    var r = d.pointRadius != null ? d.pointRadius : s.type === 'xy' ? 0 : 3;
    o.type = 'line';
    o.backgroundColor = d.color;
    o.borderDash = d.dash || [];
    o.borderWidth = 2;
    o.fill = false;
    o.tension = 0;
    o.stepped = d.stepped ? 'before' : false;
    o.spanGaps = false;
    if (d.pointsOnly) o.showLine = false;
    o.pointRadius = function (c) { var j = c.dataIndex; return j == null ? r : flag(d.highlight, j) ? 7 : flag(d.cpuBound, j) ? Math.max(r, 6) : r; };
    var style = d.pointStyle || 'circle';
    o.pointStyle = function (c) { var j = c.dataIndex; return j == null ? style : flag(d.highlight, j) ? 'triangle' : flag(d.cpuBound, j) ? 'rectRot' : style; };
    if (d.pointStyle === 'line') o.pointBorderWidth = 3;
    o.pointBackgroundColor = function (c) { var j = c.dataIndex; return j != null && flag(d.highlight, j) ? '#cf222e' : d.color; };
    o.pointHoverRadius = Math.max(r, 4) + 2;
    return o;
  }
  function axis(s, a, isX) {
    var o = { title: { display: true, text: a.title + (a.unit ? ' (' + a.unit + ')' : '') }, grid: { color: '#eaeef2' }, ticks: {} };
    if (a.log) o.type = 'logarithmic';
    else if (isX && s.type === 'xy') o.type = 'linear';
    if (a.min != null) o.min = a.min;
    if (a.max != null) o.max = a.max;
    if (a.fraction) o.ticks.callback = function (v) { return Math.round(v * 100) + '%'; };
    if (a.nines) {
      o.afterBuildTicks = function (ax) {
        var t = [0, Math.log10(2), 1];
        for (var k = 2; k <= ax.max + 1e-9; k++) t.push(k);
        ax.ticks = t.filter(function (v) { return v <= ax.max + 1e-9; }).map(function (v) { return { value: v }; });
      };
      o.ticks.callback = function (v) { return pct(v) + '%'; };
    }
    if (o.type === 'logarithmic') o.ticks.callback = function (v) {
      var m = v / Math.pow(10, Math.floor(Math.log10(v)));
      return Math.abs(m - 1) < 1e-9 || Math.abs(m - 2) < 1e-9 || Math.abs(m - 5) < 1e-9 ? fmt(v) : '';
    };
    if (!isX) o.beginAtZero = !a.log && a.min == null;
    return o;
  }
  function tooltip(s) {
    return {
      callbacks: {
        label: function (c) {
          var x = c.parsed.x, y = c.parsed.y, ds = c.dataset;
          if (s.y.nines) return ds.label + ': p' + pct(y) + ' = ' + fmt(x) + ' ' + (s.x.unit || '');
          if (s.y.fraction) return ds.label + ': ' + (y * 100).toFixed(y >= 0.99 ? 2 : 0) + '% ≤ ' + fmt(x) + ' ' + (s.x.unit || '');
          if (s.type === 'xy') return ds.label + ': ' + fmt(y) + ' ' + (s.y.unit || '') + ' at ' + fmt(x) + ' ' + (s.x.unit || '');
          var e = ds.benchErrorBars && ds.benchErrorBars[c.dataIndex];
          var lv = ds.benchErrorConf && ds.benchErrorConf[c.dataIndex];
          var ci = lv == null || lv >= 0.95 ? 95 : Math.round(lv * 100);
          return ds.label + ': ' + fmt(y) + ' ' + (s.y.unit || '') + (e ? ' (' + ci + '% CI ' + fmt(e[0]) + '–' + fmt(e[1]) + ')' : '');
        },
        afterLabel: function (c) {
          var n = c.dataset.benchNotes && c.dataset.benchNotes[c.dataIndex];
          var cpu = flag(c.dataset.benchCpu, c.dataIndex) ? cpuBoundText : '';
          return [n, cpu].filter(Boolean);
        }
      }
    };
  }
  specs.forEach(function (s) {
    var canvas = document.getElementById(s.id);
    if (!canvas) return;
    var xy = s.type === 'xy';
    charts.push(new Chart(canvas, {
      type: s.type === 'bar' ? 'bar' : 'line',
      data: { labels: xy ? undefined : s.labels, datasets: s.datasets.map(function (d) { return dataset(s, d); }) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: xy ? { mode: 'nearest', intersect: false, axis: s.y.fraction || s.y.nines ? 'y' : 'x' } : { mode: 'index', intersect: false },
        scales: { x: axis(s, s.x, true), y: axis(s, s.y, false) },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 14, boxHeight: 10 } },
          tooltip: tooltip(s)
        }
      },
      plugins: [errorBars, cpuMarks]
    }));
  });
})();
