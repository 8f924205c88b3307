// report_probe.js - appended (as a <script>) to a copy of a lockstep report
// by the tests/obs suites, then run by headless Chromium: measures what the
// browser actually laid out for each plot and writes it as JSON into
// <pre id="probe">, which `chromium --dump-dom` hands back to the test.
(function () {
  const plots = [];
  for (const s of document.querySelectorAll('svg.plot')) {
    const r = s.getBoundingClientRect();
    const series = [];
    for (const p of s.querySelectorAll('polyline.series')) {
      const b = p.getBBox();
      // x of each point in drawing order: a line in time order never goes back
      let monotonic = true;
      for (let i = 1; i < p.points.numberOfItems; i++)
        if (p.points.getItem(i).x < p.points.getItem(i - 1).x) monotonic = false;
      series.push({ name: p.dataset.name, points: p.points.numberOfItems,
                    width: b.width, height: b.height, monotonic });
    }
    let bars = 0;
    for (const b of s.querySelectorAll('rect.bar'))
      if (b.getBBox().height > 0 && b.getBBox().width > 0) bars++;
    const ticks = cls => [...s.querySelectorAll('text.' + cls)].map(t => parseFloat(t.textContent));
    plots.push({ id: s.id, width: r.width, height: r.height, series, bars,
                 ticks_x: ticks('tick-x'), ticks_y: ticks('tick-y'),
                 failsafe: s.querySelectorAll('rect.failsafe').length,
                 alarms: s.querySelectorAll('line.alarm').length });
  }
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({ plots, inner_width: window.innerWidth,
                                     scroll_width: document.documentElement.scrollWidth });
  document.body.appendChild(pre);
})();
