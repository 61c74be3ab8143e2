//! Pictures of the heap: `--svg FILE` (one SVG document) and `--html FILE` (one page with the
//! same pictures inline), each self-contained (no script, no outside file):
//!
//! - the heap over time: the sites that held the most bytes stacked as areas (the rest as
//!   "other sites"), the total as a line, the peak marked and labelled; drawn here by hand
//!   from massif's snapshots (the same as `--graph`'s);
//! - three flame graphs drawn by `inferno`: bytes allocated, bytes at the peak, bytes leaked,
//!   each from the report's sites as collapsed stacks.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::collapsed::folded;
use super::graph::commify;
use super::{ExportOptions, Writer};
use crate::model::graph::{Graph, Unit};
use crate::model::heap::SiteReport;
use crate::model::{Report, Selection};

/// Width of every picture, px.
pub const WIDTH: usize = 1160;
/// Height of the chart, px.
const CHART_HEIGHT: usize = 460;
/// Sites stacked in the chart (the others are one area).
const STACKED: usize = 8;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 250.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; STACKED + 1] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#bab0ac",
];

/// The pictures' writer: `--svg` (one SVG document) or `--html` (one HTML page).
#[derive(Debug, Clone, Copy)]
pub struct Pictures {
    /// An HTML page, else an SVG document.
    pub html: bool,
}

/// The `--svg` writer.
pub static SVG: Pictures = Pictures { html: false };
/// The `--html` writer.
pub static HTML: Pictures = Pictures { html: true };

impl Writer for Pictures {
    fn selection(&self, _opts: &ExportOptions) -> Selection {
        Selection { top: 0 }
    }

    fn needs_graph(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        if self.html {
            write_html(report, out)
        } else {
            write_svg(report, out)
        }
    }
}

fn write_svg(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let parts = pictures(report)?;
    let height: usize = parts.iter().map(|p| p.height).sum();
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#
    )?;
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
    )?;
    writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#)?;
    let mut y = 0;
    for p in &parts {
        // Each picture is an <svg> of its own, placed below the one before.
        writeln!(
            out,
            "{}",
            p.svg.replacen("<svg ", &format!("<svg y=\"{y}\" "), 1)
        )?;
        y += p.height;
    }
    writeln!(out, "</svg>")
}

fn write_html(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let parts = pictures(report)?;
    let title = report
        .graph
        .as_ref()
        .map_or_else(String::new, |g| escape(&g.command));
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(out, "<title>tracekit heap report: {title}</title>")?;
    writeln!(
        out,
        "<style>body{{font-family:sans-serif;margin:16px;background:#fff}}\
             h1{{font-size:20px}}h2{{font-size:16px;margin:24px 0 4px}}\
             svg{{display:block}}</style>\n</head>\n<body>"
    )?;
    writeln!(out, "<h1>Heap of {title}</h1>")?;
    for p in &parts {
        writeln!(out, "<h2>{}</h2>\n{}", escape(&p.title), p.svg)?;
    }
    writeln!(out, "</body>\n</html>")
}

/// What a flame graph weighs a site by.
type Weight = fn(&SiteReport) -> u64;

/// One picture: an `<svg>` element without the XML declaration.
struct Picture {
    title: String,
    svg: String,
    height: usize,
}

fn pictures(report: &Report) -> io::Result<Vec<Picture>> {
    let mut parts = Vec::new();
    if let Some(g) = &report.graph {
        parts.push(Picture {
            title: "Heap over time".to_owned(),
            svg: chart(g),
            height: CHART_HEIGHT,
        });
    }
    let flames: [(&str, Weight); 3] = [
        ("Bytes allocated, by call stack", |s| s.bytes),
        ("Bytes live at the peak, by call stack", |s| s.peak_bytes),
        ("Bytes leaked (live at the end), by call stack", |s| {
            s.leaked.bytes
        }),
    ];
    for (title, weight) in flames {
        parts.push(flame(report, title, weight)?);
    }
    Ok(parts)
}

fn flame(report: &Report, title: &str, weight: Weight) -> io::Result<Picture> {
    let lines: Vec<String> = folded(report, weight)
        .into_iter()
        .map(|(stack, n)| format!("{stack} {n}"))
        .collect();
    if lines.is_empty() {
        let height = 60;
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"><text x="{x}" y="24" font-family="Verdana" font-size="17" text-anchor="middle">{t}</text><text class="empty" x="{x}" y="48" font-family="Verdana" font-size="12" text-anchor="middle">none</text></svg>"#,
            x = WIDTH / 2,
            t = escape(title),
        );
        return Ok(Picture {
            title: title.to_owned(),
            svg,
            height,
        });
    }
    let mut opt = inferno::flamegraph::Options::default();
    opt.title = title.to_owned();
    opt.count_name = "bytes".to_owned();
    opt.name_type = "Function:".to_owned();
    opt.colors = inferno::flamegraph::Palette::Basic(inferno::flamegraph::color::BasicPalette::Mem);
    opt.hash = true;
    opt.deterministic = true;
    opt.no_javascript = true;
    opt.image_width = Some(WIDTH);
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut opt, lines.iter().map(String::as_str), &mut svg)?;
    let svg = String::from_utf8_lossy(&svg);
    // Drop the XML declaration and doctype: the element goes inside another document.
    let start = svg.find("<svg").unwrap_or(0);
    let svg = svg[start..].to_owned();
    let height = svg_height(&svg).unwrap_or(400);
    Ok(Picture {
        title: title.to_owned(),
        svg,
        height,
    })
}

/// The `height="N"` of an `<svg>` element.
fn svg_height(svg: &str) -> Option<usize> {
    let head = &svg[..svg.find('>')?];
    let at = head.find(" height=\"")? + 9;
    head[at..].split('"').next()?.parse().ok()
}

/// Text safe in XML content and attributes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `bytes` as a short label: `97.7 KiB`.
fn size(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let (mut v, mut k) = (bytes, 0);
    while v >= 1024.0 && k + 1 < units.len() {
        v /= 1024.0;
        k += 1;
    }
    if k == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", units[k])
    }
}

fn time_label(g: &Graph, t: f64) -> String {
    match g.unit {
        Unit::Bytes => size(t),
        Unit::Ms => format!("{t:.1} ms"),
    }
}

/// A site's name in the legend: its innermost frame's function and place.
fn site_name(g: &Graph, site: usize) -> String {
    match g.sites[site].frames.first() {
        Some(f) => match (&f.file, f.line) {
            (Some(file), Some(line)) => {
                format!(
                    "{} ({}:{line})",
                    f.function,
                    file.rsplit('/').next().unwrap_or(file)
                )
            }
            _ => f.function.clone(),
        },
        None => "[no backtrace]".to_owned(),
    }
}

/// The heap over time as an SVG element: stacked areas of the largest sites, the total line,
/// axes, the peak's label, a legend.
pub fn chart(g: &Graph) -> String {
    let (w, h) = (WIDTH as f64, CHART_HEIGHT as f64);
    let (pw, ph) = (w - LEFT - RIGHT, h - TOP - BOTTOM);
    let times: Vec<f64> = g.snapshots.iter().map(|s| g.time_shown(s)).collect();
    let end = times.last().copied().filter(|&t| t > 0.0).unwrap_or(1.0);
    let peak = g
        .snapshots
        .iter()
        .map(|s| s.heap_bytes)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |t: f64| LEFT + t / end * pw;
    let y = |b: f64| TOP + ph - b / peak * ph;
    // The sites stacked: those holding the most bytes in any snapshot.
    let mut most = vec![0u64; g.sites.len()];
    for s in &g.snapshots {
        for sb in &s.sites {
            most[sb.site] = most[sb.site].max(sb.bytes);
        }
    }
    let mut order: Vec<usize> = (0..g.sites.len()).filter(|&i| most[i] > 0).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(most[i]), i));
    order.truncate(STACKED);
    // Each snapshot's bytes per stacked site, then the other sites.
    let layers: Vec<Vec<f64>> = g
        .snapshots
        .iter()
        .map(|s| {
            let mut v: Vec<f64> = order
                .iter()
                .map(|&site| {
                    s.sites
                        .iter()
                        .find(|sb| sb.site == site)
                        .map_or(0.0, |sb| sb.bytes as f64)
                })
                .collect();
            let shown: f64 = v.iter().sum();
            v.push((s.heap_bytes as f64 - shown).max(0.0));
            v
        })
        .collect();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="heap-chart" width="{WIDTH}" height="{CHART_HEIGHT}" font-family="Verdana, sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" font-size="17" text-anchor="middle">Heap over time: pid {}, {}</text>"#,
        w / 2.0,
        g.pid,
        escape(&g.command)
    );
    // Stacked areas, the first site at the bottom.
    let mut base = vec![0.0; g.snapshots.len()];
    let nlayers = order.len() + 1;
    for layer in 0..nlayers {
        let top: Vec<f64> = base
            .iter()
            .zip(&layers)
            .map(|(b, l)| b + l[layer])
            .collect();
        if top.iter().zip(&base).all(|(t, b)| t == b) {
            continue;
        }
        let mut d = String::new();
        for (i, &t) in times.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                x(t),
                y(top[i])
            );
        }
        for (i, &t) in times.iter().enumerate().rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x(t), y(base[i]));
        }
        d.push('Z');
        let name = if layer < order.len() {
            site_name(g, order[layer])
        } else {
            "other sites".to_owned()
        };
        let _ = writeln!(
            svg,
            r#"<path class="site" d="{d}" fill="{}" fill-opacity="0.85"><title>{}</title></path>"#,
            COLORS[layer],
            escape(&name)
        );
        let ly = TOP + 16.0 * layer as f64;
        let _ = writeln!(
            svg,
            r#"<rect class="legend" x="{}" y="{ly}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            w - RIGHT + 10.0,
            COLORS[layer],
            w - RIGHT + 28.0,
            ly + 10.0,
            escape(&truncate(&name, 26))
        );
        base = top;
    }
    // The total.
    let mut d = String::new();
    for (i, (s, &t)) in g.snapshots.iter().zip(&times).enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            x(t),
            y(s.heap_bytes as f64)
        );
    }
    let _ = writeln!(
        svg,
        r#"<path class="total" d="{}" fill="none" stroke="black" stroke-width="1.5"><title>total</title></path>"#,
        d.trim_end()
    );
    // Axes and ticks.
    let _ = writeln!(
        svg,
        r#"<path class="axis" d="M{LEFT},{TOP} L{LEFT},{b} L{r},{b}" fill="none" stroke="black"/>"#,
        b = TOP + ph,
        r = LEFT + pw
    );
    for k in 0..=4 {
        let f = k as f64 / 4.0;
        let (tx, ty) = (x(f * end), y(f * peak));
        let _ = writeln!(
            svg,
            r#"<line x1="{tx:.1}" y1="{b}" x2="{tx:.1}" y2="{b2}" stroke="black"/><text x="{tx:.1}" y="{b3}" text-anchor="middle">{}</text>"#,
            time_label(g, f * end),
            b = TOP + ph,
            b2 = TOP + ph + 5.0,
            b3 = TOP + ph + 18.0
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{l2}" y1="{ty:.1}" x2="{LEFT}" y2="{ty:.1}" stroke="black"/><text x="{l3}" y="{ty4:.1}" text-anchor="end">{}</text>"#,
            size(f * peak),
            l2 = LEFT - 5.0,
            l3 = LEFT - 8.0,
            ty4 = ty + 4.0
        );
    }
    let axis = match g.unit {
        Unit::Bytes => "time: bytes allocated and freed so far (massif's B)".to_owned(),
        Unit::Ms if g.coarse_clock() => format!(
            "time: ms since the start (the log's clock ticks every {:.1} ms)",
            g.clock_res_ns as f64 / 1e6
        ),
        Unit::Ms => "time: ms since the start".to_owned(),
    };
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{axis}</text>"#,
        LEFT + pw / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">bytes live</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    // The peak.
    if let Some(p) = g.peak_index() {
        let s = &g.snapshots[p];
        let (px, py) = (x(times[p]), y(s.heap_bytes as f64));
        let anchor = if px > LEFT + pw * 0.7 { "end" } else { "start" };
        let _ = writeln!(
            svg,
            r#"<circle class="peak" cx="{px:.1}" cy="{py:.1}" r="4" fill="red"/><text class="peak-label" x="{:.1}" y="{:.1}" text-anchor="{anchor}" fill="red">peak {} ({} B) at {}</text>"#,
            if anchor == "end" { px - 8.0 } else { px + 8.0 },
            (py - 6.0).max(TOP - 4.0),
            size(s.heap_bytes as f64),
            commify(s.heap_bytes),
            time_label(g, times[p])
        );
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
