// Reports (admins): the desk's figures over a chosen range (GET /metrics?since=…&until=…) as charts,
// each with a table of the same numbers. The range lives in the address
// (#/reports?from=2026-11-01&to=2026-11-30); without one the report is the API's last seven days.
//
// Charts are inline SVG made with createElementNS, never markup: columns over the days (new tickets
// by category, response and resolution times) are drawn at the width they get, so their labels stay
// readable on a phone, and drawn again when that width changes; the other charts are rows of text
// with an SVG bar that stretches. Every chart is hidden from screen readers (aria-hidden) and
// followed by a "Show table" disclosure holding its numbers: one copy of them for everyone, which a
// screen reader announces as a collapsed button right after the chart's heading, and which a sighted
// agent can open to read or copy the exact figures.

import { showAdminView } from "./admin.js";
import { ApiError, api } from "./api.js";
import { agents } from "./directory.js";
import { byId, el, showMessage } from "./dom.js";
import { counted } from "./format.js";
import { reportError } from "./session.js";
import { readReportRange, writeReportRange } from "./url-state.js";

const SVG_NS = "http://www.w3.org/2000/svg";
// Categories beyond this many share one "Other" colour in the chart (the table keeps them apart).
const MAX_SERIES = 7;
const TARGETS = [
  ["first_response", "First response"],
  ["next_response", "Next response"],
  ["resolution", "Resolution"],
];
const BACKLOG_AGES = [
  ["under_1d", "Under a day"],
  ["1d_to_3d", "1 to 3 days"],
  ["3d_to_7d", "3 to 7 days"],
  ["over_7d", "Over 7 days"],
];
// Tick steps of a duration axis: whole seconds, minutes, hours, days and weeks.
const DURATION_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
  259200, 604800, 1209600, 2592000];

// The latest load: an answer to an earlier one (the agent chose another range meanwhile) is dropped.
let loadNumber = 0;
// The desk's time zone, from its last report: "today" of the presets is the desk's, as the API's is.
let deskTimezone = null;
// Column charts, drawn again when their width changes.
let drawers = [];
let drawnWidth = 0;

// ---- words and numbers ----

// "2 h 15 min", "45 min", "3 d 4 h", "30 s": durations as people say them.
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "none";
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

function percent(share) {
  if (share === null || share === undefined) return "none";
  return `${(share * 100).toLocaleString(undefined, { maximumFractionDigits: share < 0.1 ? 1 : 0 })} %`;
}

function count(n) {
  return n.toLocaleString();
}

function dateOf(day) {
  return new Date(`${day}T00:00:00Z`);
}

// "Nov 3" on an axis, "Mon, Nov 3" in a table, "3 November 2026" in a sentence (the agent's locale).
function dayLabel(day, style = "axis") {
  const options = {
    axis: { day: "numeric", month: "short" },
    table: { weekday: "short", day: "numeric", month: "short" },
    long: { day: "numeric", month: "long", year: "numeric" },
  }[style];
  return dateOf(day).toLocaleDateString(undefined, { ...options, timeZone: "UTC" });
}

function addDays(day, days) {
  const moved = dateOf(day);
  moved.setUTCDate(moved.getUTCDate() + days);
  return moved.toISOString().slice(0, 10);
}

// Today in the desk's time zone (the browser's until a report said which that is).
function deskToday() {
  try {
    return new Intl.DateTimeFormat("en-CA", {
      timeZone: deskTimezone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
    }).format(new Date());
  } catch {
    const now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }
}

function presetRange(days) {
  const to = deskToday();
  return { from: addDays(to, 1 - days), to };
}

// ---- SVG ----

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function countScale(largest) {
  const rough = Math.max(largest, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough));
  return { step, top: Math.max(step, Math.ceil(largest / step) * step) };
}

function durationScale(largest) {
  const step = DURATION_STEPS.find((s) => largest / s <= 4) || Math.ceil(largest / 4 / 86400) * 86400;
  return { step, top: Math.max(step, Math.ceil(largest / step) * step) };
}

// Columns over the days: `parts(day)` the stacked values ({value, series, name}), `marker(day)` a
// value drawn as a short dark line across the column (the 90th percentile), or null.
function columnChart(width, { days, parts, marker, scale, format }) {
  // Lower on a phone, so that a chart and its caption fit one screen.
  const height = Math.round(Math.min(220, Math.max(170, width * 0.4)));
  const top = 10;
  const bottom = 26;
  const right = 12;
  const largest = Math.max(0, ...days.map((day) => Math.max(
    parts(day).reduce((sum, part) => sum + part.value, 0),
    marker ? marker(day) || 0 : 0,
  )));
  const { step, top: highest } = scale(largest);
  const ticks = [];
  for (let tick = 0; tick <= highest; tick += step) ticks.push(tick);
  const left = Math.max(...ticks.map((tick) => format(tick).length)) * 7 + 12;
  const plotWidth = Math.max(width - left - right, 40);
  const plotHeight = height - top - bottom;
  const y = (value) => top + plotHeight - (value / highest) * plotHeight;
  const slot = plotWidth / days.length;
  const barWidth = Math.min(Math.max(slot * 0.72, 1), 44);
  const chart = svg("svg", {
    class: "chart", viewBox: `0 0 ${width} ${height}`, width: "100%", "aria-hidden": "true", focusable: "false",
  });
  for (const tick of ticks) {
    chart.append(
      svg("line", { class: tick ? "grid" : "axis", x1: left, x2: left + plotWidth, y1: y(tick), y2: y(tick) }),
      svg("text", { class: "tick", x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)),
    );
  }
  const labelEvery = Math.ceil(days.length / Math.max(1, Math.floor(plotWidth / 58)));
  days.forEach((day, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    let base = y(0);
    for (const part of parts(day)) {
      if (!part.value) continue;
      const barHeight = (part.value / highest) * plotHeight;
      base -= barHeight;
      chart.append(svg(
        "rect",
        { class: `bar series-${part.series}`, x, y: base, width: barWidth, height: barHeight },
        svg("title", {}, `${dayLabel(day, "table")}: ${part.name} ${format(part.value)}`),
      ));
    }
    const mark = marker ? marker(day) : null;
    if (mark !== null && mark !== undefined) {
      chart.append(svg(
        "line",
        { class: "marker", x1: x - 3, x2: x + barWidth + 3, y1: y(mark), y2: y(mark) },
        svg("title", {}, `${dayLabel(day, "table")}: 90th percentile ${format(mark)}`),
      ));
    }
    if (index % labelEvery === 0) {
      const centre = left + index * slot + slot / 2;
      const nearEnd = centre + 22 > width;
      chart.append(svg(
        "text",
        { class: "tick", x: nearEnd ? width - 2 : Math.max(centre, 20), y: height - 8,
          "text-anchor": nearEnd ? "end" : "middle" },
        dayLabel(day),
      ));
    }
  });
  return chart;
}

// A bar from 0 to `share` (0..1) that stretches with its row; the row's text says the number.
function meter(share, series) {
  return svg(
    "svg",
    { class: "meter", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" },
    svg("rect", { class: "track", x: 0, y: 0, width: 100, height: 10, rx: 1 }),
    share > 0 ? svg("rect", { class: `bar series-${series}`, x: 0, y: 0, width: Math.max(share * 100, 0.8), height: 10, rx: 1 }) : null,
  );
}

function meterRow(label, share, figure, series, detail = "") {
  return el(
    "div",
    { className: "meter-row" },
    el("span", { className: "meter-label" }, label),
    meter(share, series),
    el("span", { className: "meter-figure" }, figure),
    detail ? el("span", { className: "meter-detail" }, detail) : null,
  );
}

function legend(entries) {
  return el("ul", { className: "legend" }, entries.map(({ name, series, kind = "bar" }) => el(
    "li",
    {},
    svg("svg", { class: "swatch", viewBox: "0 0 12 12", "aria-hidden": "true", focusable: "false" },
      kind === "marker"
        ? svg("line", { class: "marker", x1: 0, x2: 12, y1: 6, y2: 6 })
        : svg("rect", { class: `bar series-${series}`, x: 0, y: 0, width: 12, height: 12, rx: 2 })),
    name,
  )));
}

// A column chart is drawn once it is on the page and knows its width.
function columnBox(spec) {
  const box = el("div", { className: "chart-box" });
  drawers.push(() => box.replaceChildren(columnChart(Math.max(box.clientWidth, 240), spec)));
  return box;
}

function drawColumns() {
  const width = byId("reports-charts").clientWidth;
  if (!width) return;
  drawnWidth = width;
  for (const draw of drawers) draw();
}

// ---- tables ----

// The first column names the row (a day, a target, an agent); the others are numbers.
function table(caption, head, rows, foot = null) {
  const row = (values) => el("tr", {}, values.map((value, index) => (index === 0
    ? el("th", { scope: "row" }, value)
    : el("td", { className: "number" }, value))));
  return el(
    "table",
    { className: "report-table" },
    el("caption", { className: "visually-hidden" }, caption),
    el("thead", {}, el("tr", {}, head.map((value, index) => el(
      "th", { scope: "col", className: index > 0 ? "number" : null }, value,
    )))),
    el("tbody", {}, rows.map(row)),
    foot ? el("tfoot", {}, row(foot)) : null,
  );
}

function tableDisclosure(name, content) {
  return el(
    "details",
    { className: "table-disclosure" },
    el("summary", {}, "Show table", el("span", { className: "visually-hidden" }, ` of ${name}`)),
    // Focusable, so that a wide table that scrolls inside its card can be scrolled from the keyboard.
    el("div", { className: "table-scroll", tabindex: "0", role: "group", "aria-label": `Table of ${name}` }, content),
  );
}

// A chart (hidden from screen readers) and its table, or a sentence when there is nothing to draw.
function figure({ id, title, note, visual, data, empty, wide = false }) {
  return el(
    "figure",
    { className: `card report-figure${wide ? " wide" : ""}`, id, "aria-labelledby": `${id}-title` },
    el(
      "figcaption",
      {},
      el("h2", { id: `${id}-title` }, title),
      note ? el("p", { className: "hint" }, note) : null,
    ),
    empty
      ? el("p", { className: "report-empty" }, empty)
      : [el("div", { className: "chart-visual", "aria-hidden": "true" }, visual), tableDisclosure(title.toLowerCase(), data)],
  );
}

// ---- the figures ----

function rangeWords(report) {
  return report.since === report.until
    ? `on ${dayLabel(report.since, "long")}`
    : `between ${dayLabel(report.since, "long")} and ${dayLabel(report.until, "long")}`;
}

function tiles(report) {
  const stopped = TARGETS.reduce(
    (sum, [target]) => ({ met: sum.met + report.sla[target].met, all: sum.all + report.sla[target].met + report.sla[target].missed }),
    { met: 0, all: 0 },
  );
  const tile = (name, figure, detail) => el(
    "div",
    { className: "tile" },
    el("dt", {}, name),
    el("dd", { className: "tile-figure" }, figure),
    detail ? el("dd", { className: "hint" }, detail) : null,
  );
  const first = report.first_response;
  const resolution = report.resolution;
  return el(
    "dl",
    { className: "report-tiles", id: "report-tiles" },
    tile("New tickets", count(report.volume.total)),
    tile("First response, median", duration(first.median_seconds),
      first.count ? `90th percentile ${duration(first.p90_seconds)} · ${counted(first.count, "ticket")}` : "none answered"),
    tile("Resolution, median", duration(resolution.median_seconds),
      resolution.count ? `90th percentile ${duration(resolution.p90_seconds)} · ${counted(resolution.count, "resolution")}` : "none resolved"),
    tile("SLA met", percent(stopped.all ? stopped.met / stopped.all : null),
      stopped.all ? `${count(stopped.met)} of ${counted(stopped.all, "promise")}` : "no promise came due"),
    tile("Satisfied", percent(report.csat.satisfied_share),
      report.csat.answers ? `of ${counted(report.csat.answers, "answer")}` : "no answers"),
    tile("Reopened", percent(report.reopen.rate),
      report.reopen.resolved ? `${count(report.reopen.reopened)} of ${counted(report.reopen.resolved, "resolution")}` : "none resolved"),
    report.time_rules ? tile("Time rules applied", count(report.time_rules.applied), timeRulesDetail(report.time_rules)) : null,
  );
}

// "Nudge idle urgent tickets 12 · Close the silent ones 3": the time rules of the rules file, by rule.
function timeRulesDetail(figures) {
  const rules = Object.entries(figures.by_rule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return rules.length ? rules.map(([rule, n]) => `${rule} ${count(n)}`).join(" · ") : "none applied";
}

function volumeFigure(report) {
  const days = Object.keys(report.volume.by_day_category);
  const byCategory = Object.entries(report.volume.by_category).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const categories = byCategory.map(([name]) => name);
  const shown = categories.length > MAX_SERIES + 1 ? categories.slice(0, MAX_SERIES) : categories;
  const others = categories.filter((name) => !shown.includes(name));
  const seriesOf = new Map(shown.map((name, index) => [name, index]));
  const parts = (day) => {
    const counts = report.volume.by_day_category[day] || {};
    const stacked = shown.map((name) => ({ value: counts[name] || 0, series: seriesOf.get(name), name }));
    if (others.length) {
      stacked.push({ value: others.reduce((sum, name) => sum + (counts[name] || 0), 0), series: "other", name: "other" });
    }
    return stacked;
  };
  const totals = categories.map((name) => count(report.volume.by_category[name]));
  return figure({
    id: "report-volume",
    title: "New tickets per day, by category",
    note: `${counted(report.volume.total, "new ticket")} ${rangeWords(report)}.`,
    wide: true,
    empty: report.volume.total ? null : `No tickets came in ${rangeWords(report)}.`,
    visual: [
      legend([
        ...shown.map((name) => ({ name, series: seriesOf.get(name) })),
        ...(others.length ? [{ name: `Other (${others.join(", ")})`, series: "other" }] : []),
      ]),
      columnBox({
        days, parts, scale: countScale, format: (value) => count(value),
      }),
    ],
    data: table(
      "New tickets per day, by category",
      ["Day", ...categories, "Total"],
      days.map((day) => [
        dayLabel(day, "table"),
        ...categories.map((name) => count((report.volume.by_day_category[day] || {})[name] || 0)),
        count(report.volume.by_day[day] || 0),
      ]),
      ["All days", ...totals, count(report.volume.total)],
    ),
  });
}

// `noun`: what is measured, { one, many } ("1 resolution", "3 resolutions").
function durationFigure(report, name, title, noun) {
  const figures = report[name];
  const days = Object.keys(figures.by_day);
  const measured = days.filter((day) => figures.by_day[day].count);
  return figure({
    id: `report-${name.replace("_", "-")}`,
    title,
    note: figures.count
      ? `Median ${duration(figures.median_seconds)}, 90th percentile ${duration(figures.p90_seconds)}, over ${counted(figures.count, noun.one, noun.many)} ${rangeWords(report)}. Each day: its median as a column, its 90th percentile as a line.`
      : null,
    empty: figures.count ? null : `No ${noun.many} ${rangeWords(report)}.`,
    visual: [
      legend([{ name: "Median", series: 0 }, { name: "90th percentile", kind: "marker" }]),
      columnBox({
        days,
        parts: (day) => [{ value: figures.by_day[day].median_seconds || 0, series: 0, name: "median" }],
        marker: (day) => figures.by_day[day].p90_seconds,
        scale: durationScale,
        format: (value) => (value ? duration(value) : "0"),
      }),
    ],
    data: table(
      title,
      ["Day", noun.many[0].toUpperCase() + noun.many.slice(1), "Median", "90th percentile"],
      measured.map((day) => {
        const of = figures.by_day[day];
        return [dayLabel(day, "table"), count(of.count), duration(of.median_seconds), duration(of.p90_seconds)];
      }),
      ["All days", count(figures.count), duration(figures.median_seconds), duration(figures.p90_seconds)],
    ),
  });
}

function slaFigure(report) {
  const stopped = TARGETS.filter(([target]) => report.sla[target].met + report.sla[target].missed);
  return figure({
    id: "report-sla",
    title: "SLA attainment",
    note: "Promises kept in time, of those that came due in the range, per target.",
    empty: stopped.length ? null : `No promise came due ${rangeWords(report)}.`,
    visual: el("div", { className: "meters" }, TARGETS.map(([target, label]) => {
      const of = report.sla[target];
      const due = of.met + of.missed;
      return meterRow(label, of.attainment || 0, due ? percent(of.attainment) : "none",
        2, due ? `${count(of.met)} met, ${count(of.missed)} missed` : "");
    })),
    data: table(
      "SLA attainment per target",
      ["Target", "Met", "Missed", "Attainment", "Breaches flagged"],
      TARGETS.map(([target, label]) => {
        const of = report.sla[target];
        return [label, count(of.met), count(of.missed), percent(of.attainment), count(of.breaches)];
      }),
    ),
  });
}

function satisfactionFigure(report) {
  const csat = report.csat;
  return figure({
    id: "report-satisfaction",
    title: "Satisfaction",
    note: "Answers rated 4 or 5 of those given (a changed rating counts as changed), and answers of surveys sent.",
    empty: csat.surveys_sent || csat.answers ? null : `No survey went out ${rangeWords(report)}.`,
    visual: el(
      "div",
      { className: "meters" },
      meterRow("Satisfied", csat.satisfied_share || 0, percent(csat.satisfied_share), 2,
        `${count(csat.satisfied)} of ${counted(csat.answers, "answer")}`),
      meterRow("Response rate", csat.response_rate || 0, percent(csat.response_rate), 0,
        `${count(csat.answers)} of ${counted(csat.surveys_sent, "survey")}`),
    ),
    data: table(
      "Satisfaction and survey responses",
      ["Measure", "Count", "Of", "Share"],
      [
        ["Satisfied answers", count(csat.satisfied), `${counted(csat.answers, "answer")}`, percent(csat.satisfied_share)],
        ["Survey answers", count(csat.answers), `${counted(csat.surveys_sent, "survey")} sent`, percent(csat.response_rate)],
      ],
    ),
  });
}

function backlogFigure(report) {
  const largest = Math.max(0, ...BACKLOG_AGES.map(([age]) => report.backlog[age]));
  const open = BACKLOG_AGES.reduce((sum, [age]) => sum + report.backlog[age], 0);
  return figure({
    id: "report-backlog",
    title: "Backlog by age",
    note: `Open tickets now (new, open, pending, on hold) by how long they have waited: ${count(open)} in all. The range does not change it.`,
    empty: open ? null : "No ticket is waiting now.",
    visual: el("div", { className: "meters" }, BACKLOG_AGES.map(([age, label]) => meterRow(
      label, largest ? report.backlog[age] / largest : 0, count(report.backlog[age]), 0,
    ))),
    data: table("Open tickets by waiting time", ["Waiting", "Open tickets"],
      BACKLOG_AGES.map(([age, label]) => [label, count(report.backlog[age])]), ["All", count(open)]),
  });
}

function agentsFigure(report, known) {
  const nameOf = new Map(known.map((agent) => [agent.email, agent.name || agent.email]));
  const rows = Object.entries(report.agents)
    .map(([email, work]) => ({ email, name: nameOf.get(email) || email, ...work }))
    .sort((a, b) => b.replies + b.resolutions - (a.replies + a.resolutions) || a.name.localeCompare(b.name));
  const largest = Math.max(1, ...rows.map((row) => Math.max(row.replies, row.resolutions)));
  return figure({
    id: "report-agents",
    title: "Per agent",
    note: "Replies sent and tickets resolved in the range.",
    wide: rows.length > 4,
    empty: rows.length ? null : `No agent replied or resolved a ticket ${rangeWords(report)}.`,
    visual: [
      legend([{ name: "Replies", series: 0 }, { name: "Resolutions", series: 2 }]),
      el("div", { className: "agent-meters" }, rows.map((row) => el(
        "div",
        { className: "agent-block" },
        el("p", { className: "agent-name" }, row.name),
        meterRow("Replies", row.replies / largest, count(row.replies), 0),
        meterRow("Resolutions", row.resolutions / largest, count(row.resolutions), 2),
      ))),
    ],
    data: table("Replies and resolutions per agent", ["Agent", "Replies", "Resolutions"],
      rows.map((row) => [row.name === row.email ? row.email : `${row.name} (${row.email})`, count(row.replies), count(row.resolutions)])),
  });
}

// Each saved reply: replies taken from it, and how the tickets it was used on went afterwards.
function savedRepliesFigure(report) {
  const rows = report.saved_replies || [];
  const used = rows.filter((row) => row.uses);
  const largest = Math.max(1, ...used.map((row) => row.uses));
  const name = (row) => (row.title === null ? `A deleted saved reply (${row.id})` : row.title);
  const satisfied = (row) => (row.answers ? `${percent(row.satisfied_share)} satisfied (${count(row.satisfied)} of ${counted(row.answers, "answer")})` : "no survey answers");
  const reopened = (row) => (row.resolved ? `${percent(row.reopen_rate)} reopened (${count(row.reopened)} of ${counted(row.resolved, "resolution")})` : "none resolved");
  // The help-center articles each links, by the titles the report's knowledge section gives them.
  const articleTitles = new Map(((report.knowledge || {}).articles || []).map((article) => [article.slug, article.title]));
  const linked = (row) => ((row.articles || []).length
    ? row.articles.map((slug) => articleTitles.get(slug) || slug).join("; ")
    : "none");
  return figure({
    id: "report-saved-replies",
    title: "Saved replies",
    note: "Replies taken from each saved reply, and of the tickets it was used on: answers rated 4 or 5 of the survey answers, and reopenings of the resolutions. The table names the help-center articles each links.",
    wide: true,
    empty: used.length ? null : `No reply was taken from a saved reply ${rangeWords(report)}.`,
    visual: el("div", { className: "meters" }, used.slice(0, 10).map((row) => meterRow(
      name(row), row.uses / largest, count(row.uses), 0,
      `${satisfied(row)}; ${reopened(row)}`,
    ))),
    data: table(
      "Use, satisfaction and reopen rate per saved reply",
      ["Saved reply", "Uses", "Satisfied", "Reopened", "Linked articles"],
      rows.map((row) => [
        name(row),
        count(row.uses),
        satisfied(row),
        reopened(row),
        linked(row),
      ]),
    ),
  });
}

// Each help-center article (the report's `knowledge`): suggested in acknowledgements, linked in
// replies, opened, voted helpful, and of the tickets it was suggested on those resolved without an
// agent's answer (deflected). The chart shows the articles suggested or opened most.
function knowledgeFigure(report) {
  const knowledge = report.knowledge || { articles: [], totals: null };
  const rows = knowledge.articles || [];
  const active = rows.filter((row) => row.suggested || row.opened || row.linked || row.helpful || row.not_helpful);
  const largest = Math.max(1, ...active.map((row) => Math.max(row.suggested, row.opened)));
  const name = (row) => (row.title === null ? `A deleted article (${row.slug})` : row.title);
  const votes = (row) => row.helpful + row.not_helpful;
  const helpful = (row) => (votes(row) ? `${percent(row.helpful_share)} helpful (${count(row.helpful)} of ${counted(votes(row), "vote")})` : "no votes");
  const deflected = (row) => (row.suggested ? `${count(row.deflected)} (${percent(row.deflection_rate)} of suggestions)` : "–");
  // The table's columns name what the cells count: shorter words than the chart's, so that the
  // table fits a desktop's card without scrolling sideways.
  const cells = (row) => [
    count(row.suggested),
    count(row.linked),
    `${count(row.opened)}${row.opened_from_mail ? ` (${count(row.opened_from_mail)} from a mail)` : ""}`,
    votes(row) ? `${percent(row.helpful_share)} (${count(row.helpful)} of ${count(votes(row))})` : "no votes",
    row.suggested ? `${count(row.deflected)} (${percent(row.deflection_rate)})` : "–",
    count(row.reopened),
    count(row.low_rated),
  ];
  const totals = knowledge.totals;
  return figure({
    id: "report-knowledge",
    title: "Help-center articles",
    note: "Suggested in acknowledgements, linked in replies, opened on the help center and voted helpful; of the tickets each was suggested on, those resolved without an agent's answer (deflected), reopened and rated 1 or 2.",
    wide: true,
    empty: active.length ? null : `No article was suggested, linked, opened or voted on ${rangeWords(report)}.`,
    visual: el("div", { className: "meters" }, active.slice(0, 10).map((row) => meterRow(
      name(row), Math.max(row.suggested, row.opened) / largest, `${count(row.suggested)} / ${count(row.opened)}`, 2,
      `suggested / opened; ${helpful(row)}; deflected ${deflected(row)}`,
    ))),
    data: table(
      "Figures per help-center article",
      ["Article", "Suggested", "Linked", "Opened", "Helpful", "Deflected", "Reopened", "Rated low"],
      rows.map((row) => [
        row.title === null ? name(row) : el("a", { href: `#/knowledge/${encodeURIComponent(row.slug)}` }, name(row)),
        ...cells(row),
      ]),
      totals ? ["All articles", ...cells(totals)] : null,
    ),
  });
}

// What the desk did by itself (workflows/lifecycle.py, workflows/assignment.py, workflows/notify.py):
// reminders, resolutions and closings on its timers, reopenings after its resolutions, automatic
// assignments (by rule) and the notifications it mailed to agents.
function automationRows(report) {
  const auto = report.automation || {};
  const assignment = report.assignment || {};
  const sent = report.notifications ? report.notifications.sent : null;
  const rules = Object.entries(assignment.by_rule || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const byRule = rules.map(([rule, n]) => `${rule.replaceAll("_", " ")} ${count(n)}`).join(" · ");
  const nobody = assignment.nobody_available ? `nobody available for ${count(assignment.nobody_available)}` : "";
  const reopened = auto.auto_resolved
    ? `${percent(auto.reopen_rate)} of ${count(auto.auto_resolved)} the desk resolved`
    : "";
  return [
    { label: "Reminders sent", n: auto.reminders, detail: "to customers a ticket was pending on" },
    { label: "Resolved by the desk", n: auto.auto_resolved, detail: "no answer after the reminder" },
    { label: "Reopened after the desk resolved", n: auto.reopened_after_auto_resolve, detail: reopened },
    { label: "Closed by the desk", n: auto.auto_closed, detail: "some days after their resolution" },
    { label: "Assigned automatically", n: assignment.automatic, detail: [byRule, nobody].filter(Boolean).join("; ") },
    { label: "Notifications sent", n: sent, detail: "to agents, by mail" },
  ].filter((row) => row.n !== undefined && row.n !== null);
}

function automationFigure(report) {
  const rows = automationRows(report);
  const largest = Math.max(1, ...rows.map((row) => row.n));
  return figure({
    id: "report-automation",
    title: "Automation",
    note: "What the desk did by itself in the range: its reminders, resolutions and closings on the policy's timers, reopenings after it resolved, queues' automatic assignments and the notifications mailed to agents.",
    empty: rows.some((row) => row.n) ? null : `The desk did nothing by itself ${rangeWords(report)}.`,
    visual: el("div", { className: "meters" }, rows.map((row) => meterRow(row.label, row.n / largest, count(row.n), 1, row.detail))),
    data: table(
      "What the desk did by itself",
      ["Action", "Count", "Detail"],
      rows.map((row) => [row.label, count(row.n), row.detail || "–"]),
    ),
  });
}

function surgeNotice(report) {
  if (!report.surges.length) return null;
  return el(
    "p",
    { className: "banner", role: "note" },
    "Surging today: ",
    report.surges.map((surge) => `${surge.category} (${counted(surge.today, "ticket")}; ${surge.mean < 0.5 ? "almost none" : `about ${surge.mean.toLocaleString(undefined, { maximumFractionDigits: 1 })} a day`} over the last two weeks)`).join(", "),
    ".",
  );
}

function nothingHappened(report) {
  return !report.volume.total && !report.first_response.count && !report.resolution.count
    && !Object.keys(report.agents).length && !report.csat.surveys_sent && !report.csat.answers
    && TARGETS.every(([target]) => !report.sla[target].met && !report.sla[target].missed)
    && !automationRows(report).some((row) => row.n);
}

function render(report, known) {
  drawers = [];
  const charts = byId("reports-charts");
  byId("reports-summary").textContent = `${dayLabel(report.since, "long")} to ${dayLabel(report.until, "long")}, days in ${report.timezone}.`;
  if (nothingHappened(report)) {
    charts.replaceChildren(
      el("p", { className: "report-empty card" }, `Nothing happened ${rangeWords(report)}: no ticket came in, none was answered or resolved and no survey went out. Choose another range above.`),
      el("div", { className: "report-grid" }, backlogFigure(report)),
    );
    return;
  }
  charts.replaceChildren(
    surgeNotice(report) || "",
    tiles(report),
    el(
      "div",
      { className: "report-grid" },
      volumeFigure(report),
      durationFigure(report, "first_response", "First response time", { one: "first response", many: "first responses" }),
      durationFigure(report, "resolution", "Resolution time", { one: "resolution", many: "resolutions" }),
      slaFigure(report),
      satisfactionFigure(report),
      backlogFigure(report),
      agentsFigure(report, known),
      savedRepliesFigure(report),
      knowledgeFigure(report),
      automationFigure(report),
    ),
  );
  drawColumns();
}

// ---- the view ----

function showRange({ from, to }) {
  byId("report-from").value = from;
  byId("report-to").value = to;
  const today = deskToday();
  byId("report-from").max = today;
  byId("report-to").max = today;
  for (const button of byId("report-presets").querySelectorAll("button")) {
    const preset = presetRange(Number(button.dataset.days));
    button.setAttribute("aria-pressed", String(preset.from === from && preset.to === to));
  }
}

function rangeError(message) {
  showMessage("reports-error", message);
}

export async function showReports() {
  const admin = showAdminView("reports", "Reports · Postdesk");
  if (!admin) return;
  const range = readReportRange();
  const query = new URLSearchParams();
  if (range.from) query.set("since", range.from);
  if (range.to) query.set("until", range.to);
  const load = ++loadNumber;
  rangeError("");
  showRange(range);
  const charts = byId("reports-charts");
  charts.setAttribute("aria-busy", "true");
  let report;
  let known;
  try {
    [report, known] = await Promise.all([api(`metrics${query.size ? `?${query}` : ""}`), agents()]);
  } catch (error) {
    if (load !== loadNumber) return;
    charts.removeAttribute("aria-busy");
    if (error instanceof ApiError && error.status === 400) {
      // A range typed into the address that the desk refuses: its words, and nothing drawn.
      charts.replaceChildren();
      byId("reports-summary").textContent = "";
      rangeError(`This range cannot be shown: ${error.message}.`);
      return;
    }
    if (error instanceof ApiError && error.status === 403) {
      byId("reports-refused").hidden = false;
      byId("reports-body").hidden = true;
      return;
    }
    throw error;
  }
  if (load !== loadNumber) return;
  charts.removeAttribute("aria-busy");
  deskTimezone = report.timezone;
  showRange({ from: report.since, to: report.until });
  render(report, known);
}

function choose(range) {
  rangeError("");
  writeReportRange(range);
  showReports().catch(reportError);
}

export function setUpReports() {
  byId("reports-range").addEventListener("submit", (event) => {
    event.preventDefault();
    const from = byId("report-from").value;
    const to = byId("report-to").value;
    if (!from || !to) {
      rangeError("Choose both days: the first and the last of the range.");
      byId(from ? "report-to" : "report-from").focus();
      return;
    }
    if (from > to) {
      rangeError("The first day is after the last one: choose a first day on or before the last.");
      byId("report-from").focus();
      return;
    }
    choose({ from, to });
  });
  byId("report-presets").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-days]");
    if (button) choose(presetRange(Number(button.dataset.days)));
  });
  // The column charts are drawn for their width: again when it changes (a turned phone, a resize).
  let pending = false;
  new ResizeObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (byId("reports-charts").clientWidth !== drawnWidth) drawColumns();
    });
  }).observe(byId("reports-charts"));
}

